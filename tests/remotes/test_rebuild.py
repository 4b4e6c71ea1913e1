"""`wb fsck --rebuild`: a workspace whose `.wb/wb.db` is lost (or garbled) is made again from the
records in its store, and lists what it listed before; the same records travel to a clone."""

from __future__ import annotations

import math

import pytest

import workbench
from tests.conftest import DROPS
from tests.remotes.test_sync import CONTRACT, Workspace
from workbench.core.experiments import runs
from workbench.core.storage.workspace import Workspace as CoreWorkspace


def listings(ws: Workspace) -> dict:
    """What a user sees of the workspace: its listings, as `--json` gives them."""
    models = ws.json("model", "show", "demand")
    return {
        "data": ws.json("data", "list"),
        "log": ws.json("data", "log", "sales"),
        "contract": ws("data", "contract", "show", "sales").stdout,
        "runs": ws.json("runs", "list"),
        "models": ws.json("model", "list"),
        "aliases": models["alias_history"],
        "drift": ws.json("drift", "list"),
    }


def history(ws: Workspace, run_id: str) -> list:
    core = CoreWorkspace(ws.root)
    try:
        return [
            (s, "nan" if v is not None and math.isnan(v) else v)
            for s, v in runs.metric_history(core, run_id, "loss")
        ]
    finally:
        core.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Workspace, dict, str]:
    """A workspace with two dataset versions, a contract, runs (one with a metric history and a
    tag set after it ended), a model promoted then rolled back, and a drift report."""
    ws = Workspace(tmp_path_factory.mktemp("rebuild") / "ws")
    ws("data", "add", DROPS / "week_01.csv", "--name", "sales")
    ws("data", "add", DROPS / "week_02.csv", "--name", "sales")
    contract = ws.root.parent / "c.toml"
    contract.write_text(CONTRACT)
    ws("data", "contract", "set", "sales", contract)
    ws("train", "--data", "sales@1", "--target", "units_sold", "--model", "linear", "--register", "demand")
    ws("train", "--data", "sales@2", "--target", "units_sold", "--model", "linear", "--register", "demand")
    ws("model", "promote", "demand@1", "--to", "production", "--force", "--reason", "first")
    ws("model", "promote", "demand@2", "--to", "production", "--force", "--reason", "newer")
    ws("model", "rollback", "demand")
    with workbench.start_run(experiment="script", params={"lr": 0.1}, workspace=ws.root) as run:
        for step, loss in enumerate([3.0, 2.0, float("nan"), 1.0]):
            run.log_metric("loss", loss, step=step)
    ws("runs", "tag", run.id, "note=kept")
    ws("drift", "check", "--reference", "sales@1", "--current", DROPS / "week_03.csv")
    return ws, listings(ws), run.id


@pytest.mark.parametrize("damage", ["lost", "garbled"])
def test_a_lost_or_garbled_database_is_rebuilt_from_the_records(built, damage):
    ws, before, run_id = built
    steps = history(ws, run_id)
    db = ws.root / ".wb/wb.db"
    if damage == "lost":
        db.unlink()
    else:
        db.write_bytes(b"not a database at all" * 100)
    ws("data", "list", code=2)  # refused until rebuilt
    done = ws.json("fsck", "--rebuild")
    assert (done["dataset_versions"], done["runs"], done["model_versions"]) == (2, 3, 2)
    assert (done["alias_moves"], done["drift_reports"], done["contracts"]) == (3, 1, 1)
    assert (done["moved_aside"] is None) == (damage == "lost")
    assert listings(ws) == before
    assert history(ws, run_id) == steps == [(0, 3.0), (1, 2.0), (2, "nan"), (3, 1.0)]
    assert ws.json("runs", "show", run_id)["tags"]["note"] == "kept"  # its newest record counts
    restored = [e for e in ws.json("log", "--limit", "200") if e["kind"] == "model.rebuild_move"]
    assert sorted(e["created_at"] for e in restored) == sorted(m["created_at"] for m in before["aliases"])
    report = before["drift"][0]["report_id"]
    assert ws.json("drift", "show", report)["report_id"] == report
    assert ws.json("fsck")["ok"]
    ws("model", "export", "demand@production", "-o", ws.root.parent / f"{damage}.wbmodel")


def test_runs_and_drift_reports_travel_to_a_clone(built, tmp_path):
    ws, before, run_id = built
    ws("remote", "add", "usb", tmp_path / "usb")
    ws("push", "usb")
    ws("clone", tmp_path / "usb", tmp_path / "clone")
    clone = Workspace(tmp_path / "clone", init=False)
    assert clone.json("drift", "list") == before["drift"]
    assert clone.json("drift", "show", before["drift"][0]["report_id"]) == ws.json(
        "drift", "show", before["drift"][0]["report_id"]
    )
    assert [r["id"] for r in clone.json("runs", "list")] == [r["id"] for r in before["runs"]]
    assert history(clone, run_id) == history(ws, run_id)


def test_a_removed_run_stays_removed_through_a_pull_a_rebuild_and_a_clone(tmp_path):
    """`wb runs rm` leaves a tombstone: the run's record (still in the store until gc, still on
    the remote it was pushed to) does not bring it back."""
    ws = Workspace(tmp_path / "ws")
    ids = []
    for lr in (0.1, 0.2):
        with workbench.start_run(experiment="script", params={"lr": lr}, workspace=ws.root) as run:
            run.log_metric("loss", lr)
        ids.append(run.id)
    ws("remote", "add", "usb", tmp_path / "usb", "--default")
    ws("push")
    ws("runs", "rm", ids[0])
    kept = [ids[1]]
    ws("pull")
    assert [r["id"] for r in ws.json("runs", "list")] == kept
    (ws.root / ".wb/wb.db").unlink()
    assert ws.json("fsck", "--rebuild")["runs"] == 1
    assert [r["id"] for r in ws.json("runs", "list")] == kept
    ws("push")  # the tombstone travels: a clone made now lacks the run too
    ws("clone", tmp_path / "usb", tmp_path / "clone")
    assert [r["id"] for r in Workspace(tmp_path / "clone", init=False).json("runs", "list")] == kept
