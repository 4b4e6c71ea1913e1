"""`wb push` and `wb pull`: a workspace's dataset versions and contracts travel through a folder
or a real S3 server (rclone) into another workspace, as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import DROPS
from workbench.cli.main import app
from workbench.core.storage.hashing import hash_bytes
from workbench.core.storage.local_backend import LocalBackend

CONTRACT = "[columns.units]\nrequired = true\n"


class Workspace:
    """`wb` run in one workspace folder, its exit code checked."""

    def __init__(self, root: Path, init: bool = True):
        self.root = root
        self.runner = CliRunner()
        if init:
            assert self.runner.invoke(app, ["init", str(root)]).exit_code == 0

    def __call__(self, *args, code: int = 0):
        result = self.runner.invoke(app, ["--workspace", str(self.root), *map(str, args)])
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args, code: int = 0):
        return json.loads(self(*args, "--json", code=code).stdout)

    def log(self, name: str = "sales") -> list[tuple[int, str]]:
        return [(v["version"], v["hash"]) for v in self.json("data", "log", name)]

    def objects(self) -> set[Path]:
        return {p for p in (self.root / ".wb/objects").rglob("*") if p.is_file()}


@pytest.fixture
def here(tmp_path) -> Workspace:
    return Workspace(tmp_path / "here")


@pytest.fixture
def there(tmp_path) -> Workspace:
    return Workspace(tmp_path / "there")


@pytest.fixture(params=["folder", "s3"])
def remote(request, tmp_path) -> tuple[list[str], Path]:
    """`wb remote add origin ...`'s arguments (a folder, or a prefix of the real S3 server) and
    the folder its objects end up in."""
    if request.param == "folder":
        return [str(tmp_path / "usb")], tmp_path / "usb/objects"
    s3 = request.getfixturevalue("s3")
    args = [f"s3://{s3.bucket}/{tmp_path.name}", "--endpoint-url", s3.endpoint_url]
    return args, s3.folder / tmp_path.name / "objects"


@pytest.fixture
def remote_args(remote) -> list[str]:
    return remote[0]


def both_know(remote_args, *workspaces: Workspace) -> None:
    for ws in workspaces:
        ws("remote", "add", "origin", *remote_args, "--default")


def test_push_then_pull_brings_the_same_versions_and_bytes(here, there, remote_args, tmp_path):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("data", "add", DROPS / "week_02.csv", "--name", "sales")
    (tmp_path / "c.toml").write_text(CONTRACT)
    here("data", "contract", "set", "sales", tmp_path / "c.toml")
    both_know(remote_args, here, there)

    pushed = here.json("push")
    assert pushed == {
        "remote": "origin",
        "objects": 5,  # two files, their two records, the contract's record
        "bytes": pushed["bytes"],
        "records": 3,
        "skipped": 0,
        "conflicts": [],
    }
    assert pushed["bytes"] > (DROPS / "week_01.csv").stat().st_size
    pulled = there.json("pull")
    assert (pulled["objects"], pulled["records"], pulled["conflicts"]) == (5, 3, [])
    assert there.log() == here.log()
    made = [(v["hash"], v["created_at"]) for v in here.json("data", "log", "sales")]
    assert [(v["hash"], v["created_at"]) for v in there.json("data", "log", "sales")] == made
    there("data", "checkout", "sales@1", "-o", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == (DROPS / "week_01.csv").read_bytes()
    assert "required = true" in there("data", "contract", "show", "sales").stdout

    # Nothing new: nothing moves either way.
    assert here.json("push")["objects"] == 0
    again = there.json("pull")
    assert (again["objects"], again["records"], again["skipped"]) == (0, 0, 5)
    assert there.json("push")["objects"] == 0


def test_a_pull_never_renumbers_a_local_version(here, there, remote_args):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("data", "add", DROPS / "week_02.csv", "--name", "sales")
    there("data", "add", DROPS / "week_02.csv", "--name", "sales")
    there("data", "add", DROPS / "week_03.csv", "--name", "sales")
    before = there.log()
    both_know(remote_args, here, there)
    here("push")
    assert "added sales@3" in there("pull").stdout
    hashes = dict(here.log())
    assert there.log() == [*before, (3, hashes[1])]  # week_02's bytes were here: not added again


def test_push_and_pull_dry_run_write_nothing(here, there, tmp_path):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    both_know([str(tmp_path / "usb")], here, there)
    would = here.json("push", "--dry-run")
    assert (would["objects"], would["records"]) == (2, 1)
    assert "would push 2 objects" in here("push", "--dry-run").stdout
    assert not (tmp_path / "usb").exists()
    here("push")
    would = there.json("pull", "--dry-run")
    assert (would["objects"], would["records"]) == (2, 1)
    assert there.objects() == set()
    there("data", "log", "sales", code=2)


def test_a_dry_run_push_of_a_run_from_before_records_stores_nothing_here(here, tmp_path):
    """A run that ended before runs were records gets its record (and its metric history as
    an object) at the first push: a dry run counts them and writes neither."""
    import workbench

    with workbench.start_run(experiment="old", workspace=here.root) as run:
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    with sqlite3.connect(here.root / ".wb/wb.db") as db:  # as a workspace from before records
        made = [  # the records and the metric history; the run's own artifacts stay
            row[0]
            for row in db.execute(
                "SELECT oid FROM records UNION SELECT part FROM record_parts "
                "WHERE part NOT IN (SELECT hash FROM artifacts)"
            )
        ]
        db.execute("DELETE FROM record_parts")
        db.execute("DELETE FROM records")
    store = LocalBackend(here.root / ".wb/objects")
    for oid in made:
        store.delete(oid)
    before = here.objects()
    here("remote", "add", "usb", tmp_path / "usb", "--default")
    would = here.json("push", "--dry-run")
    assert here.objects() == before and not (tmp_path / "usb").exists()
    pushed = here.json("push")
    assert (would["objects"], would["bytes"], would["records"]) == (pushed["objects"], pushed["bytes"], 1)
    assert len(here.objects()) == len(before) + 2  # the push stored the record and its history


def test_a_tampered_remote_object_is_refused_named_and_nothing_indexed(here, there, remote):
    added = here.json("data", "add", DROPS / "week_01.csv", "--name", "sales")
    both_know(remote[0], here, there)
    here("push")
    stored = remote[1] / "blake3" / added["hash"][:2] / added["hash"][2:]
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    refused = there("pull", code=1)
    assert f"object {added['hash'][:12]}" in refused.stderr and "damaged" in refused.stderr
    there("data", "log", "sales", code=2)  # no version: its record was not indexed


def test_bad_input_is_one_sentence_and_exit_2(here, tmp_path):
    assert "this workspace has no remote" in here("push", code=2).stderr
    here("remote", "add", "origin", str(tmp_path / "usb"))
    assert "no remote named 'orign'" in here("pull", "orign", code=2).stderr
    assert "does not exist" in here("pull", "origin", code=2).stderr
    assert not (tmp_path / "usb").exists()


def test_a_bucket_that_does_not_exist_is_exit_2(here, s3):
    here("remote", "add", "origin", "s3://no-such-bucket/x", "--endpoint-url", s3.endpoint_url)
    assert "the bucket 'no-such-bucket' does not exist" in here("push", code=2).stderr


def test_contracts_move_forward_and_a_contract_changed_on_both_sides_is_a_conflict(here, there, tmp_path):
    def set_contract(ws: Workspace, text: str) -> None:
        (tmp_path / "c.toml").write_text(text)
        ws("data", "contract", "set", "sales", tmp_path / "c.toml")

    def contract(ws: Workspace) -> str:
        return ws("data", "contract", "show", "sales").stdout

    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    both_know([str(tmp_path / "usb")], here, there)
    set_contract(here, CONTRACT)
    here("push")
    there("pull")
    set_contract(here, CONTRACT + "[columns.store]\nrequired = true\n")
    here("push")
    assert there.json("pull")["conflicts"] == []  # only the remote moved: taken
    assert "columns.store" in contract(there)

    set_contract(there, "[columns.day]\nrequired = true\n")
    set_contract(here, "[columns.price]\nrequired = true\n")
    here("push")
    (conflict,) = there.json("pull", code=1)["conflicts"]
    assert (conflict["kind"], conflict["name"]) == ("contract", "sales")
    assert "columns.day" in contract(there)  # the local one is kept
    said = there("pull", code=1).stdout
    assert "conflict: the contract of sales" in said and "wb data contract set sales FILE" in said
    set_contract(there, "[columns.day]\nrequired = false\n")  # settled: set after it had theirs
    assert there.json("pull")["conflicts"] == []


def test_versions_and_contracts_from_before_records_travel_too(here, there, tmp_path):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    (tmp_path / "c.toml").write_text(CONTRACT)
    here("data", "contract", "set", "sales", tmp_path / "c.toml")
    db = sqlite3.connect(here.root / ".wb/wb.db")
    with db:
        db.execute("DELETE FROM records")  # as a workspace made before records were kept
        db.execute("DELETE FROM record_parts")
    db.close()
    both_know([str(tmp_path / "usb")], here, there)
    assert here.json("push")["records"] == 2
    there("pull")
    assert there.log() == here.log()
    assert "required = true" in there("data", "contract", "show", "sales").stdout


def test_a_record_from_a_newer_wb_is_refused_in_one_sentence(here, there, tmp_path):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    both_know([str(tmp_path / "usb")], here, there)
    here("push")
    newer = b'{"_record":2,"created_at":"2030-01-01","data":{},"key":"x","kind":"dataset_version"}'
    LocalBackend(tmp_path / "usb/objects").put(hash_bytes(newer), newer)
    refused = there("pull", code=2)
    assert "comes from a newer wb" in refused.stderr and "upgrade wb" in refused.stderr
    there("data", "log", "sales", code=2)  # nothing indexed


# -- models -----------------------------------------------------------------------------------
def train(ws: Workspace, week: str) -> None:
    """Register one tiny model of demand, trained on one drop (its own dataset version)."""
    ws("data", "add", DROPS / f"{week}.csv", "--name", "sales")
    ws("train", "--data", "sales", "--target", "units_sold", "--model", "linear", "--register", "demand")


def versions(ws: Workspace) -> list[tuple[int, str]]:
    latest = ws.json("model", "show", "demand")["version"]
    return [(n, ws.json("model", "show", f"demand@{n}")["artifact_hash"]) for n in range(1, latest + 1)]


def test_a_promoted_model_travels_and_scores_there(here, there, remote_args, tmp_path):
    train(here, "week_01")
    train(here, "week_02")
    here("model", "promote", "demand@2", "--to", "production")
    both_know(remote_args, here, there)
    pushed = here.json("push")
    # two dataset versions, two runs, two model versions, one alias move
    assert pushed["records"] == 7
    pulled = there.json("pull")
    assert (pulled["records"], pulled["conflicts"]) == (7, [])
    assert versions(there) == versions(here)
    assert there.json("model", "show", "demand@production")["version"] == 2
    assert "merged a promote of demand@production (to @2) from remote origin" in there("log").stdout
    shown = there("model", "show", "demand").stdout
    assert "production" in shown
    here_run = here.json("model", "show", "demand@2")["run_id"]
    assert there.json("model", "show", "demand@2")["run_id"] == here_run
    there("predict", "demand@production", DROPS / "week_03.csv", "-o", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").stat().st_size > 0

    # The runs came with their params, metrics and artifacts: a pulled version exports.
    def listed(ws: Workspace) -> list[tuple]:
        return [(r["id"], r["status"], r["params"], r["metrics"]) for r in ws.json("runs", "list")]

    assert listed(there) == listed(here)
    shown = there.json("runs", "show", here_run)
    assert shown["metric_steps"] == here.json("runs", "show", here_run)["metric_steps"] != {}
    assert shown["inputs"][0]["version"] == 2
    there("model", "export", "demand@2", "-o", tmp_path / "demand.wbmodel")
    assert (tmp_path / "demand.wbmodel").stat().st_size > 0

    # Nothing new: nothing moves either way.
    assert here.json("push")["objects"] == 0
    again = there.json("pull")
    assert (again["objects"], again["records"]) == (0, 0)
    assert there.json("push")["objects"] == 0


def test_the_same_alias_moved_on_both_sides_is_a_conflict_until_settled(here, there, tmp_path):
    train(here, "week_01")
    train(here, "week_02")
    both_know([str(tmp_path / "usb")], here, there)
    here("push")
    there("pull")
    here("model", "promote", "demand@1", "--to", "production")
    there("model", "promote", "demand@2", "--to", "production")
    here("push")
    would = there.json("pull", "--dry-run", code=1)
    assert [c["kind"] for c in would["conflicts"]] == ["alias"]
    (conflict,) = there.json("pull", code=1)["conflicts"]
    assert conflict == {
        "kind": "alias",
        "name": "demand@production",
        "local": "demand@2",
        "remote": "demand@1",
    }
    assert there.json("model", "show", "demand@production")["version"] == 2  # the local one is kept
    said = there("pull", code=1).stdout
    assert "conflict: the alias of demand@production" in said
    assert "wb model promote demand@1 --to production" in said

    # Settled by a move made here after it had theirs; the other side then takes it.
    there("model", "promote", "demand@1", "--to", "production", "--force", "--reason", "agreed")
    assert there.json("pull")["conflicts"] == []
    assert there.json("model", "show", "demand@production")["version"] == 1
    there("push")
    assert here.json("pull")["conflicts"] == []
    assert here.json("model", "show", "demand@production")["version"] == 1


def test_models_from_before_records_travel_too(here, there, tmp_path):
    train(here, "week_01")
    here("model", "promote", "demand@1", "--to", "staging")
    db = sqlite3.connect(here.root / ".wb/wb.db")
    with db:
        db.execute("DELETE FROM records")  # as a workspace made before records were kept
        db.execute("DELETE FROM record_parts")
    db.close()
    both_know([str(tmp_path / "usb")], here, there)
    assert here.json("push")["records"] == 4  # the version, its run, the model, the move
    there("pull")
    assert versions(there) == versions(here)
    assert [r["id"] for r in there.json("runs", "list")] == [r["id"] for r in here.json("runs", "list")]
    assert there.json("model", "show", "demand@staging")["version"] == 1
