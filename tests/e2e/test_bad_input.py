"""Bad input to the real `wb`: every case must fail the way SPEC.md says (exit 2, one readable
sentence on stderr, no traceback, no JSON on stdout) and leave the workspace exactly as it was:
no new dataset version, no new object in the store, no temp file behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import DROPS, WbResult, run_wb, store_objects, temp_files


@dataclass(frozen=True)
class Template:
    root: Path
    datasets: list[dict[str, Any]]
    objects: set[str]
    hash: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A workspace holding sales@1, built once and copied for each case."""
    root = tmp_path_factory.mktemp("bad_input") / "ws"
    root.mkdir()
    run_wb("init", cwd=root).ok()
    added = run_wb("data", "add", DROPS / "week_01.csv", "--name", "sales", "--json", cwd=root).json()
    datasets = run_wb("data", "list", "--json", cwd=root).json()
    assert [(d["name"], d["versions"]) for d in datasets] == [("sales", 1)]
    return Template(root, datasets, store_objects(root), added["hash"])


# -- wb data add FILE -----------------------------------------------------------------------------
def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _missing(folder: Path) -> Path:
    return folder / "nowhere.csv"


def _directory(folder: Path) -> Path:
    path = folder / "a_folder.csv"
    path.mkdir()
    (path / "inside.csv").write_bytes((DROPS / "week_01.csv").read_bytes())
    return path


def _under_a_file(folder: Path) -> Path:
    """A path whose parent is a regular file: stat fails with ENOTDIR, even for root."""
    parent = folder / "plain.csv"
    parent.write_text("a,b\n1,2\n")
    return parent / "data.csv"


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


def _in_locked_folder(folder: Path) -> Path:
    locked = folder / "locked"
    locked.mkdir()
    path = locked / "data.csv"
    path.write_bytes((DROPS / "week_01.csv").read_bytes())
    locked.chmod(0)
    return path


def _ragged(extra: bool, at_line: int) -> Callable[[Path], Path]:
    rows = [f"{i},item{i},{i * 0.5}" for i in range(at_line - 2)]
    rows.append("1,2,3,4" if extra else "1,2")
    rows += [f"{i},late{i},{i}" for i in range(5)]
    return _write(
        f"ragged_{'more' if extra else 'fewer'}_{at_line}.csv",
        ("id,name,price\n" + "\n".join(rows) + "\n").encode(),
    )


def _not_utf8(late: bool) -> Callable[[Path], Path]:
    good = "".join(f"{i},plain{i}\n" for i in range(20_000 if late else 3))
    return _write("latin1.csv", ("name,city\n" + good).encode() + "José,München\n".encode("latin-1"))


ADD_CASES: dict[str, Callable[[Path], Path]] = {
    "missing-file": _missing,
    "directory": _directory,
    "parent-is-a-file": _under_a_file,
    "fifo": _fifo,
    "empty-file": _write("empty.csv", b""),
    "header-only": _write("header.csv", b"date,store_id,units_sold\n"),
    "binary-garbage": _write("garbage.csv", b"\x00\x01\x02" + os.urandom(64 * 1024) + b"\x00"),
    "not-utf8": _not_utf8(late=False),
    "not-utf8-after-64KiB": _not_utf8(late=True),
    "row-with-more-fields": _ragged(extra=True, at_line=3),
    "row-with-fewer-fields": _ragged(extra=False, at_line=3),
    "late-row-with-more-fields": _ragged(extra=True, at_line=15_000),
    "late-row-with-fewer-fields": _ragged(extra=False, at_line=15_000),
    "xlsx": _write("book.xlsx", b"PK\x03\x04" + os.urandom(512)),
}
if os.geteuid() != 0:  # root reads through any permission bits, so this case needs a user
    ADD_CASES["file-in-chmod-000-folder"] = _in_locked_folder


# -- references that match nothing -------------------------------------------------------------
NO_HASH = "<a hex prefix that matches no version>"


def _other_prefix(hash_: str) -> str:
    return next(p for p in ("0000000", "fffffff", "1234567") if not hash_.startswith(p))


REF_CASES: dict[str, tuple[str, ...]] = {
    "show-unknown-dataset": ("data", "show", "nosuch"),
    "show-unknown-dataset-version": ("data", "show", "nosuch@1"),
    "show-unknown-version": ("data", "show", "sales@9"),
    "show-unknown-hash": ("data", "show", f"sales@{NO_HASH}"),
    "show-nothing-after-at": ("data", "show", "sales@"),
    "show-not-hex": ("data", "show", "sales@zzzz"),
    "checkout-unknown-dataset": ("data", "checkout", "nosuch", "-o", "out.csv"),
    "checkout-unknown-version": ("data", "checkout", "sales@9", "-o", "out.csv"),
    "checkout-unknown-hash": ("data", "checkout", f"sales@{NO_HASH}", "-o", "out.csv"),
    "diff-unknown-dataset": ("data", "diff", "nosuch@1", "sales@1"),
    "diff-unknown-version": ("data", "diff", "sales@1", "sales@9"),
    "diff-unknown-hash": ("data", "diff", "sales@1", f"sales@{NO_HASH}"),
}


BAD_NAMES = {"space": "my sales", "slash": "sales/2026", "dotdot": "../sales", "empty": ""}


# -- running every case --------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    result: WbResult
    listed_after: WbResult  # `wb data list --json` run afterwards
    objects_after: set[str]
    temp_files_after: list[Path]
    files_before: set[str]  # what the workspace folder held before and after
    files_after: set[str]
    file_name: str | None  # the bad file, which the error should name


def _run_case(case: str, template: Template, folder: Path) -> Outcome:
    """Run one case in its own copy of the template workspace, then look at what it left."""
    root, inputs = folder / "ws", folder / "inputs"
    shutil.copytree(template.root, root)
    inputs.mkdir()
    file_name = None
    if case in ADD_CASES:
        path = ADD_CASES[case](inputs)
        file_name = path.name
        args: list[str | Path] = ["data", "add", path, "--name", "sales", "--json"]
    elif case in BAD_NAMES:
        args = ["data", "add", DROPS / "week_02.csv", "--name", BAD_NAMES[case], "--json"]
    else:
        args = [a.replace(NO_HASH, _other_prefix(template.hash)) for a in REF_CASES[case]]
        if args[1] != "checkout":
            args.append("--json")
    files_before = set(os.listdir(root))
    try:
        result = run_wb(*args, cwd=root, timeout=30)  # a FIFO opened by mistake would block
    finally:
        for sub in (inputs, *inputs.iterdir()):
            if sub.is_dir():
                sub.chmod(0o755)
    return Outcome(
        result=result,
        listed_after=run_wb("data", "list", "--json", cwd=root),
        objects_after=store_objects(root),
        temp_files_after=temp_files(root),
        files_before=files_before,
        files_after=set(os.listdir(root)),
        file_name=file_name,
    )


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, template: Template, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every selected case, run a few at a time: each is a separate workspace and a few separate
    `wb` processes, and running them side by side keeps this module fast."""
    wanted = sorted(
        {
            item.callspec.params["case"]
            for item in request.session.items
            if item.module is request.module and hasattr(item, "callspec")
        }
    )
    base = tmp_path_factory.mktemp("bad_cases")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {
            case: pool.submit(_run_case, case, template, base / f"case{i}") for i, case in enumerate(wanted)
        }
        return {case: future.result() for case, future in futures.items()}


def _check(outcome: Outcome, template: Template) -> str:
    """The workspace is as it was, and the command failed the way SPEC.md says."""
    assert outcome.listed_after.json() == template.datasets, "a failed command changed the datasets"
    assert outcome.objects_after == template.objects, "a failed command left an object in the store"
    assert outcome.temp_files_after == [], "a failed command left a temp file in .wb/objects/tmp"
    assert outcome.files_after == outcome.files_before, "a failed command wrote a file"
    return outcome.result.failed_cleanly(2)


@pytest.mark.parametrize("case", sorted(ADD_CASES))
def test_data_add_bad_file(case: str, outcomes: dict[str, Outcome], template: Template):
    outcome = outcomes[case]
    line = _check(outcome, template)
    assert outcome.file_name and outcome.file_name in line, f"the error should name the file: {line}"


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
def test_data_add_bad_name(case: str, outcomes: dict[str, Outcome], template: Template):
    _check(outcomes[case], template)


@pytest.mark.parametrize("case", list(REF_CASES))
def test_reference_that_matches_nothing(case: str, outcomes: dict[str, Outcome], template: Template):
    _check(outcomes[case], template)
