"""The journey of the issue, run through the real `wb` as a user types it:

    wb init
    wb data add sample_data/drops/reference.csv --name sales -m "first drop"
    wb data add sample_data/drops/week_01.csv --name sales
    wb data add sample_data/drops/week_01.csv --name sales     # same bytes: unchanged
    wb data list ; wb data log sales ; wb data show sales@1 ; wb data diff sales@1 sales@2
    wb data checkout sales@1 -o out.csv
    wb fsck ; wb gc --dry-run ; wb log ; wb status

The adds run once per module (they are the state everything else reads); every later command is
read-only and checked both as a person sees it and as `--json` per SPEC.md.
"""

from __future__ import annotations

import filecmp
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import DROPS, Runner, WbResult, run_wb, store_objects

HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class Journey:
    root: Path
    init: WbResult
    first: dict[str, Any]  # `data add reference.csv -m "first drop" --json`
    second: dict[str, Any]  # `data add week_01.csv --json`
    same_human: WbResult  # `data add week_01.csv` again, for people
    same_json: dict[str, Any]  # `data add week_01.csv --json` once more


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    root = tmp_path_factory.mktemp("journey") / "project"
    root.mkdir()
    init = run_wb("init", cwd=root).ok()
    ref, week = DROPS / "reference.csv", DROPS / "week_01.csv"
    first = run_wb("data", "add", ref, "--name", "sales", "-m", "first drop", "--json", cwd=root).json()
    second = run_wb("data", "add", week, "--name", "sales", "--json", cwd=root).json()
    same_human = run_wb("data", "add", week, "--name", "sales", cwd=root).ok()
    same_json = run_wb("data", "add", week, "--name", "sales", "--json", cwd=root).json()
    return Journey(root, init, first, second, same_human, same_json)


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- wb init ----------------------------------------------------------------------------------
def test_init_makes_the_workspace(journey: Journey):
    wb_dir = journey.root / ".wb"
    assert (wb_dir / "wb.db").is_file()
    assert (wb_dir / "objects").is_dir()
    assert (wb_dir / "config.toml").is_file()
    assert "#" in (wb_dir / "config.toml").read_text(), "config.toml should be commented"
    assert journey.init.stdout.strip()


def test_init_again_is_harmless(journey: Journey, wb: Runner):
    wb("init", cwd=journey.root).ok()
    assert len(store_objects(journey.root)) == 4  # two files, and each version's record
    versions = wb("data", "log", "sales", "--json", cwd=journey.root).json()
    assert [v["version"] for v in versions] == [1, 2]


# -- wb data add --------------------------------------------------------------------------------
ADD_FIELDS = {"name": str, "version": int, "hash": str, "rows": int, "columns": int, "unchanged": bool}


@pytest.mark.parametrize("step", ["first", "second", "same_json"])
def test_add_json_has_the_spec_fields(journey: Journey, step: str):
    doc = getattr(journey, step)
    assert isinstance(doc, dict)
    for field, kind in ADD_FIELDS.items():
        assert field in doc, f"{field!r} missing from {doc}"
        assert isinstance(doc[field], kind), f"{field!r} should be {kind.__name__}: {doc}"
        if kind is int:
            assert _is_int(doc[field]), f"{field!r} should be an int, not a bool: {doc}"
    assert _is_hash(doc["hash"]), doc
    assert doc["name"] == "sales"
    assert doc["columns"] == 10


def test_first_add_is_version_1(journey: Journey):
    first = journey.first
    assert first["version"] == 1
    assert first["unchanged"] is False
    assert first["rows"] == 22400


def test_second_add_is_version_2(journey: Journey):
    second = journey.second
    assert second["version"] == 2
    assert second["unchanged"] is False
    assert second["rows"] == 2800
    assert second["hash"] != journey.first["hash"]


def test_same_bytes_again_make_no_new_version(journey: Journey, wb: Runner):
    same = journey.same_json
    assert same["unchanged"] is True
    assert same["version"] == 2
    assert same["hash"] == journey.second["hash"]
    assert "unchanged" in journey.same_human.stdout
    versions = wb("data", "log", "sales", "--json", cwd=journey.root).json()
    assert [v["version"] for v in versions] == [1, 2]


def test_add_stores_one_object_per_distinct_content(journey: Journey):
    objects = store_objects(journey.root)
    assert len(objects) == 4, objects  # each file once, and a record per version
    for doc in (journey.first, journey.second):
        h = doc["hash"]
        assert f"{h[:2]}/{h[2:]}" in objects


# -- wb data list / log / show / diff -------------------------------------------------------------
def test_data_list(journey: Journey, wb: Runner):
    found = wb("data", "list", "--json", cwd=journey.root).json()
    assert isinstance(found, list) and len(found) == 1
    entry = found[0]
    assert entry["name"] == "sales"
    assert _is_int(entry["versions"]) and entry["versions"] == 2
    assert _is_int(entry["latest"]) and entry["latest"] == 2
    assert _is_int(entry["rows"]) and entry["rows"] == journey.second["rows"]
    assert isinstance(entry["updated_at"], str) and entry["updated_at"]

    human = wb("data", "list", cwd=journey.root).ok()
    assert "sales" in human.stdout


def test_data_log(journey: Journey, wb: Runner):
    versions = wb("data", "log", "sales", "--json", cwd=journey.root).json()
    assert isinstance(versions, list)
    assert [v["version"] for v in versions] == [1, 2], "oldest first"
    for v, added in zip(versions, (journey.first, journey.second), strict=True):
        assert _is_int(v["version"])
        assert v["hash"] == added["hash"]
        assert _is_int(v["rows"]) and v["rows"] == added["rows"]
        assert _is_int(v["columns"]) and v["columns"] == added["columns"]
        assert isinstance(v["created_at"], str) and v["created_at"]
        assert isinstance(v["message"], str)
        assert v["valid"] is None or isinstance(v["valid"], bool)
    assert versions[0]["message"] == "first drop"
    assert versions[0]["created_at"] <= versions[1]["created_at"]

    human = wb("data", "log", "sales", cwd=journey.root).ok()
    assert journey.first["hash"][:8] in human.stdout
    assert journey.second["hash"][:8] in human.stdout


def test_data_show(journey: Journey, wb: Runner):
    shown = wb("data", "show", "sales@1", "--json", cwd=journey.root).json()
    assert isinstance(shown, dict)
    assert shown["name"] == "sales"
    assert shown["version"] == 1
    assert shown["hash"] == journey.first["hash"]
    assert shown["rows"] == journey.first["rows"]
    assert shown["columns"] == journey.first["columns"]
    assert shown["message"] == "first drop"

    human = wb("data", "show", "sales@1", cwd=journey.root).ok()
    assert "sales@1" in human.stdout
    assert journey.first["hash"] in human.stdout


@pytest.mark.parametrize(
    "ref, version",
    [
        ("sales", 2),
        ("sales@latest", 2),
        ("sales@{first6}", 1),
        ("sales@{second6}", 2),
    ],
)
def test_data_show_resolves_references(journey: Journey, wb: Runner, ref: str, version: int):
    h1, h2 = journey.first["hash"], journey.second["hash"]
    ref = ref.format(first6=h1[:6], second6=h2[:6])
    shown = wb("data", "show", ref, "--json", cwd=journey.root).json()
    assert shown["version"] == version, ref
    assert shown["hash"] == (h1 if version == 1 else h2)


def test_data_diff(journey: Journey, wb: Runner):
    d = wb("data", "diff", "sales@1", "sales@2", "--json", cwd=journey.root).json()
    assert isinstance(d, dict)
    assert d["a"] == "sales@1" and d["b"] == "sales@2"
    assert d["rows"]["a"] == journey.first["rows"]
    assert d["rows"]["b"] == journey.second["rows"]

    human = wb("data", "diff", "sales@1", "sales@2", cwd=journey.root).ok()
    assert "sales@1" in human.stdout and "sales@2" in human.stdout


# -- wb data checkout -------------------------------------------------------------------------------
def test_checkout_writes_the_exact_bytes(journey: Journey, wb: Runner, tmp_path: Path):
    out = journey.root / "out.csv"
    try:
        wb("data", "checkout", "sales@1", "-o", "out.csv", cwd=journey.root).ok()
        assert filecmp.cmp(out, DROPS / "reference.csv", shallow=False)
    finally:
        out.unlink(missing_ok=True)
    # From elsewhere with -w, `-o` is relative to the current folder, not the workspace.
    wb("-w", journey.root, "data", "checkout", "sales@2", "-o", "out.csv", cwd=tmp_path).ok()
    assert filecmp.cmp(tmp_path / "out.csv", DROPS / "week_01.csv", shallow=False)
    assert not out.exists()


# -- wb fsck / gc / log / status ------------------------------------------------------------------
def test_fsck(journey: Journey, wb: Runner):
    report = wb("fsck", "--json", cwd=journey.root).json()
    assert report["ok"] is True
    assert _is_int(report["objects"]) and report["objects"] == 4  # two files, two records
    assert report["missing"] == []
    assert report["corrupt"] == []

    human = wb("fsck", cwd=journey.root).ok()
    assert "ok" in human.stdout.lower()


def test_gc_dry_run_deletes_nothing_referenced(journey: Journey, wb: Runner):
    before = store_objects(journey.root)
    result = wb("gc", "--dry-run", cwd=journey.root).ok()
    assert "0 objects" in result.stdout
    assert store_objects(journey.root) == before
    report = wb("gc", "--dry-run", "--json", cwd=journey.root).json()
    assert isinstance(report, dict)
    assert store_objects(journey.root) == before


def test_audit_log_lists_the_two_adds(journey: Journey, wb: Runner):
    found = wb("log", "--json", cwd=journey.root).json()
    assert isinstance(found, list)
    adds = [e for e in found if e["kind"] == "dataset.add"]
    assert [e["subject"] for e in adds] == ["sales@2", "sales@1"], "newest first, one per version"
    for e in found:
        assert isinstance(e["created_at"], str) and isinstance(e["message"], str)

    human = wb("log", cwd=journey.root).ok()
    assert "dataset.add" in human.stdout
    assert "sales@1" in human.stdout and "sales@2" in human.stdout


def test_status(journey: Journey, wb: Runner):
    summary = wb("status", "--json", cwd=journey.root).json()
    assert isinstance(summary, dict)
    human = wb("status", cwd=journey.root).ok()
    assert "datasets" in human.stdout


# -- finding the workspace ------------------------------------------------------------------------
def test_found_from_a_subfolder(journey: Journey, wb: Runner):
    deeper = journey.root / "notebooks" / "eda"
    deeper.mkdir(parents=True, exist_ok=True)
    found = wb("data", "list", "--json", cwd=deeper).json()
    assert [d["name"] for d in found] == ["sales"]


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert not any((p / ".wb").exists() for p in (outside, *outside.parents)), (
        "test precondition: no workspace above the temp folder"
    )
    return outside


def test_found_with_dash_w_from_outside(journey: Journey, wb: Runner, tmp_path: Path):
    outside = _outside(tmp_path)
    found = wb("-w", journey.root, "data", "list", "--json", cwd=outside).json()
    assert [d["name"] for d in found] == ["sales"]


def test_found_with_env_var_from_outside(journey: Journey, wb: Runner, tmp_path: Path):
    outside = _outside(tmp_path)
    found = wb("data", "list", "--json", cwd=outside, env={"WB_WORKSPACE": str(journey.root)}).json()
    assert [d["name"] for d in found] == ["sales"]


def test_dash_w_beats_the_env_var(journey: Journey, wb: Runner, tmp_path: Path):
    outside = _outside(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    wb("init", cwd=other).ok()
    found = wb(
        "-w", journey.root, "data", "list", "--json", cwd=outside, env={"WB_WORKSPACE": str(other)}
    ).json()
    assert [d["name"] for d in found] == ["sales"]


@pytest.mark.parametrize(
    "args",
    [
        ("data", "list", "--json"),
        ("status",),
        ("data", "add", str(DROPS / "week_01.csv"), "--name", "sales", "--json"),
    ],
    ids=["data-list", "status", "data-add"],
)
def test_outside_any_workspace(wb: Runner, tmp_path: Path, args: tuple[str, ...]):
    outside = _outside(tmp_path)
    line = wb(*args, cwd=outside).failed_cleanly(2)
    assert "wb init" in line
    assert not (outside / ".wb").exists(), "a failed command must not make a workspace"


def test_dash_w_to_a_folder_that_is_no_workspace(wb: Runner, tmp_path: Path):
    outside = _outside(tmp_path)
    line = wb("-w", outside, "data", "list", "--json", cwd=outside).failed_cleanly(2)
    assert "wb init" in line
