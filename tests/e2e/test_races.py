"""Two programs at once, and a watcher that is killed or fed a drop its model cannot read.

Every race starts several real `wb` processes back to back and asserts the one documented
outcome: one alias move, one version per drop, one acknowledgement, no run lost to gc. Each
race is tried TRIALS times. The workspace (a dataset, two registered versions of a model, one
in production) is built once through the Python API and copied for each test.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from .conftest import DROPS, TIMEOUT_S, Runner, popen_wb

TRIALS = 3
DEADLINE_S = 60


def finished(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    return [(p.wait(timeout=TIMEOUT_S), *p.communicate()) for p in procs]


def together(n: int, *args, cwd: Path) -> list[tuple[int, str, str]]:
    """`wb ARGS` started `n` times back to back, once all have ended."""
    return finished([popen_wb(*args, cwd=cwd) for _ in range(n)])


def await_(condition, what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def db_rows(root: Path, sql: str, *params) -> list[tuple]:
    """A read of the workspace database, for timing a kill only (assertions go through wb)."""
    conn = sqlite3.connect(f"file:{root / '.wb' / 'wb.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def one_error_line(err: str, *words: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(w in lines[0] for w in words), err


@pytest.fixture(scope="module")
def modelled(tmp_path_factory) -> Path:
    """sales@1 (the reference drop); demand@1 (ridge) in production, demand@2 (a stiffer
    ridge) registered; two finished runs that nothing registered."""
    from workbench.core.data import datasets
    from workbench.core.experiments import training
    from workbench.core.models import registry
    from workbench.core.storage.workspace import Workspace

    root = tmp_path_factory.mktemp("modelled") / "ws"
    here = Path.cwd()
    os.chdir(root.parent)  # runs record the git state of the folder they start in
    ws, _ = Workspace.init(root)
    try:
        datasets.add(ws, DROPS / "reference.csv", "sales")
        for alpha in (1.0, 10.0, 100.0, 1000.0):
            run = training.train(
                ws,
                training.TrainSpec(
                    data="sales@1",
                    target="units_sold",
                    model="linear",
                    split="time:date",
                    params={"alpha": alpha},
                ),
            )
            if alpha < 100:
                registry.register(ws, run, "demand")
        registry.promote(ws, "demand@1", "production")
    finally:
        ws.close()
        os.chdir(here)
    return root


@pytest.fixture
def ws(modelled, tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(modelled, root)
    return root


# -- §3: two programs at once ---------------------------------------------------------------
def promote_race(wb: Runner, ws: Path, alias: str, procs: int) -> None:
    """`procs` promotes of demand@2 to `alias` at once: one moves it, one event; each other
    says it is already there: exit 0 when it looked after the move ("nothing to do"), exit 2
    when the move happened while it judged ("another wb did it meanwhile"). Rollback walks
    back one move."""
    before = wb("model", "show", "demand", "--json", cwd=ws).json()["alias_history"]
    results = together(
        procs, "model", "promote", "demand@2", "--to", alias, "--force", "--reason", "race", cwd=ws
    )
    moved = [out for code, out, _ in results if code == 0 and "is now" in out]
    assert len(moved) == 1 and f"demand@2 is now demand@{alias}" in moved[0], results
    for code, out, err in results:
        if code == 0 and "is now" not in out:  # looked after the move: a no-op, said so
            assert out.strip() == f"demand@2 is already demand@{alias}; nothing to do", out
            assert "Traceback" not in err, err
        elif code != 0:  # moved meanwhile, after this one's gates: refused, said so
            assert code == 2, (code, out, err)
            one_error_line(
                err, f"demand@{alias} is already @2", "(another wb did it meanwhile)", "nothing was changed"
            )
    after = wb("model", "show", "demand", "--json", cwd=ws).json()["alias_history"]
    assert len(after) == len(before) + 1, after
    assert (after[-1]["alias"], after[-1]["to_version"]) == (alias, 2), after


def test_promotes_started_together_move_the_alias_once(wb: Runner, ws: Path):
    # The move is the same for every alias; only production runs the slow gates.
    for trial in range(TRIALS):
        promote_race(wb, ws, f"race{trial}", 3)
    promote_race(wb, ws, "production", 2)
    wb("model", "rollback", "demand", cwd=ws).ok()
    assert wb("model", "show", "demand@production", "--json", cwd=ws).json()["version"] == 1


def test_watchers_started_together_take_each_drop_once(wb: Runner, ws: Path):
    weeks = sorted(DROPS.glob("week_0*.csv"))
    for trial in range(TRIALS):
        inbox = ws / f"in{trial}"
        inbox.mkdir()
        for drop in weeks[2 * trial : 2 * trial + 2]:
            shutil.copy(drop, inbox / drop.name)
        results = together(3, "watch", inbox, "--dataset", "sales", "--once", cwd=ws)
        assert 0 in [code for code, _, _ in results], results
        for code, _, err in results:
            assert code in (0, 2), results
            if code == 2:  # it started while another held the folder
                one_error_line(err, "is already watched by wb watch (pid")
        log = wb("data", "log", "sales", "--json", cwd=ws).json()
        assert len(log) == 1 + 2 * (trial + 1), log  # each drop once
        assert len({v["hash"] for v in log}) == len(log)


def test_registers_started_together_make_distinct_versions(wb: Runner, ws: Path):
    run = wb("runs", "list", "--where", "params.alpha = 100", "--json", cwd=ws).json()[0]["id"]
    for trial in range(TRIALS):
        results = together(3, "model", "register", run, "--name", "demand", cwd=ws)
        assert [code for code, _, _ in results] == [0, 0, 0], results
        # "registered demand@N from run ..."
        said = sorted(int(out.split()[1].partition("@")[2]) for _, out, _ in results)
        first = 3 + 3 * trial
        assert said == [first, first + 1, first + 2], results
        model = wb("model", "list", "--json", cwd=ws).json()[0]
        assert model["versions"] == first + 2, model


def test_a_register_and_a_remove_of_one_run_together_leave_one_of_them(wb: Runner, ws: Path):
    run = wb("runs", "list", "--where", "params.alpha = 1000", "--json", cwd=ws).json()[0]["id"]
    register, remove = finished(
        [popen_wb("model", "register", run, "--name", "other", cwd=ws), popen_wb("runs", "rm", run, cwd=ws)]
    )
    assert sorted([register[0], remove[0]]) == [0, 2], (register, remove)
    if register[0] == 0:  # registered first: the run is lineage now and stays
        one_error_line(remove[2], "made the registered model other@1")
        assert wb("model", "show", "other@1", "--json", cwd=ws).json()["run_id"] == run
    else:  # removed first: nothing registered from it
        one_error_line(register[2], "run")
        assert "other" not in [m["name"] for m in wb("model", "list", "--json", cwd=ws).json()]
    assert wb("fsck", "--json", cwd=ws).json()["ok"]


def test_acks_of_one_alert_together_acknowledge_it_once(wb: Runner, ws: Path):
    for _ in range(TRIALS):
        wb(
            "drift", "check", "--reference", "sales@1", "--current", DROPS / "week_05.csv", cwd=ws
        ).ok()  # week 5 drifts: an alert
        alert = wb("alerts", "list", "--open", "--json", cwd=ws).json()[0]["id"]
        results = together(3, "alerts", "ack", str(alert), cwd=ws)
        assert [code for code, _, _ in results] == [0, 0, 0], results
        outs = sorted(out.strip() for _, out, _ in results)
        assert outs == [f"acknowledged alert {alert}"] + 2 * [f"alert {alert} was already acknowledged"], outs
        acks = [
            e
            for e in wb("log", "--json", "--limit", "100", cwd=ws).json()
            if e["kind"] == "alert.ack" and e["subject"] == str(alert)
        ]
        assert len(acks) == 1, acks


def writing_big(tmp: Path) -> bool:
    """A temp file past its first MiB in the store: a big write under way."""
    for path in tmp.glob("*.tmp"):
        try:
            if path.stat().st_size > 1 << 20:
                return True
        except FileNotFoundError:
            continue
    return False


SCRIPT = """
import sys
import workbench as wb
with wb.start_run(experiment="big") as run:
    run.log_artifact(sys.argv[1])
"""


def test_gc_while_runs_log_big_artifacts_loses_nothing(wb: Runner, ws: Path):
    (ws / "log_big.py").write_text(SCRIPT)
    tmp = ws / ".wb" / "objects" / "tmp"
    big = ws / "big.bin"
    with open(big, "wb") as f:  # big enough that writing it takes a while
        f.write(os.urandom(1 << 20) * 128)
    for _ in range(TRIALS):
        writer = popen_wb("run", "-e", "big", "--", "python", "log_big.py", big, cwd=ws)
        await_(
            lambda: writing_big(tmp) or writer.poll() is not None,  # noqa: B023
            "the artifact's write to start",
        )
        sweeps = [popen_wb("gc", cwd=ws) for _ in range(3)]  # while it is being written
        for code, out, err in finished([writer, *sweeps]):
            assert code == 0 and "Traceback" not in err, (code, out, err)
    runs = wb("runs", "list", "-e", "big", "--json", cwd=ws).json()
    assert [r["status"] for r in runs] == ["finished"] * TRIALS, runs
    assert wb("fsck", "--json", cwd=ws).json()["ok"]
    big.unlink()


def test_a_person_promoting_while_the_watcher_retrains_wins_once(wb: Runner, ws: Path):
    """demand@2 is pending: a `--retrain` drop judges it while a person promotes it."""
    for trial in range(TRIALS):
        inbox = ws / f"in{trial}"
        inbox.mkdir()
        shutil.copy(DROPS / f"week_0{trial + 1}.csv", inbox / "drop.csv")
        seen = len(wb("model", "show", "demand", "--json", cwd=ws).json()["alias_history"])
        watcher = popen_wb("watch", inbox, "--dataset", "sales", "--retrain", "--once", cwd=ws)
        person = popen_wb(
            "model", "promote", "demand@2", "--to", "production", "--force", "--reason", "by hand", cwd=ws
        )
        (w_code, w_out, w_err), (p_code, _, p_err) = finished([watcher, person])
        assert w_code == 0 and "Traceback" not in w_err, (w_out, w_err)
        assert p_code in (0, 2) and "Traceback" not in p_err, p_err
        history = wb("model", "show", "demand", "--json", cwd=ws).json()["alias_history"][seen:]
        to_2 = [e for e in history if e["to_version"] == 2 and e["action"] == "promote"]
        assert len(to_2) <= 1, history  # one of them moved it, or the judge refused it
        assert (p_code == 0) == any(e["reason"] == "by hand" for e in to_2), (p_err, history)
        retrain_alerts = [a for a in wb("alerts", "list", "--json", cwd=ws).json() if a["kind"] == "retrain"]
        assert not retrain_alerts, retrain_alerts  # losing the race is no failure
        wb("model", "rollback", "demand", cwd=ws)  # back to @1 (if it moved) for the next trial
        assert wb("model", "show", "demand@production", "--json", cwd=ws).json()["version"] == 1


# -- §3b: the watcher never dies on a drop, never leaves one half-done ----------------------
def test_a_second_watcher_on_a_watched_folder_says_whose_it_is(wb: Runner, ws: Path):
    inbox = ws / "in"
    inbox.mkdir()
    first = popen_wb("watch", inbox, "--dataset", "sales", cwd=ws)
    try:
        await_(lambda: wb("status", "--json", cwd=ws).json()["watchers"], "the watcher to start")
        for once in ([], ["--once"]):
            line = wb("watch", inbox, "--dataset", "sales", *once, cwd=ws).failed_cleanly(2)
            assert f"is already watched by wb watch (pid {first.pid} " in line, line
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT_S)
    # Killed unannounced: its pid says it is gone, so the folder is free again.
    wb("watch", inbox, "--dataset", "sales", "--once", cwd=ws).ok()


def test_a_watcher_killed_before_checking_a_drop_checks_it_when_it_next_starts(wb: Runner, ws: Path):
    inbox = ws / "in"
    inbox.mkdir()
    watcher = popen_wb("watch", inbox, "--dataset", "sales", "--retrain", cwd=ws)
    try:
        await_(lambda: wb("status", "--json", cwd=ws).json()["watchers"], "the watcher to start")
        shutil.copy(DROPS / "week_05.csv", ws / "week_05.csv")
        os.replace(ws / "week_05.csv", inbox / "week_05.csv")
        # Killed the moment sales@2 is committed: its checks (the model's import alone takes
        # seconds) have not run.
        await_(lambda: db_rows(ws, "SELECT 1 FROM dataset_versions WHERE version = 2"), "the drop's version")
        watcher.send_signal(signal.SIGKILL)
    finally:
        watcher.kill()
        watcher.wait(timeout=TIMEOUT_S)

    def reports():
        return [r for r in wb("drift", "list", "--json", cwd=ws).json() if r["current"] == "sales@2"]

    assert reports() == [], "killed too late: the drop was already checked"

    again = wb("watch", inbox, "--dataset", "sales", "--retrain", "--once", cwd=ws).ok()
    assert "week_05.csv: added as sales@2; checked now (its watcher stopped before)" in again.stdout, again
    assert len(reports()) == 1 and reports()[0]["dataset_drift"]
    assert "retrained demand on sales@2 as demand@3" in again.stdout, again
    assert [v["version"] for v in wb("data", "log", "sales", "--json", cwd=ws).json()] == [1, 2]
    last = wb("watch", inbox, "--dataset", "sales", "--retrain", "--once", cwd=ws).ok()
    assert "0 new versions from 1 drop (1 taken before)" in last.stdout, last
    assert len(reports()) == 1


def test_a_drop_the_model_cannot_score_is_an_alert_and_the_watcher_goes_on(wb: Runner, ws: Path):
    inbox = ws / "in"
    inbox.mkdir()
    week = pl.read_csv(DROPS / "week_05.csv")
    week.with_columns(price=pl.col("price").cast(pl.String)).with_row_index().with_columns(
        price=pl.when(pl.col("index") == 3).then(pl.lit("free")).otherwise(pl.col("price"))
    ).drop("index").write_csv(inbox / "a_free.csv")
    shutil.copy(DROPS / "week_06.csv", inbox / "b_week_06.csv")

    out = wb("watch", inbox, "--dataset", "sales", "--retrain", "--once", cwd=ws).ok().stdout
    assert "a_free.csv: added as sales@2" in out and "b_week_06.csv: added as sales@3" in out
    assert (
        "sales@2 does not fit demand@1: price is String, the model takes Float64: "
        "neither judged nor retrained on it" in out
    ), out
    scoring = [a for a in wb("alerts", "list", "--json", cwd=ws).json() if a["kind"] == "scoring"]
    # The next drop is checked against the bad one: its alert says the reference is at fault.
    assert [a["message"].split(": ", 1)[1] for a in scoring] == [
        "the reference sales@2 does not fit demand@1: price is String, the model takes Float64",
        "sales@2 does not fit demand@1: price is String, the model takes Float64",
    ], scoring
    checked = {r["current"] for r in wb("drift", "list", "--json", cwd=ws).json()}
    assert checked == {"sales@2", "sales@3"}  # the bad drop too, on its features

    line = wb(
        "drift",
        "check",
        "--reference",
        "sales@1",
        "--current",
        inbox / "a_free.csv",
        "--model",
        "demand@production",
        "--target",
        "units_sold",
        cwd=ws,
    ).failed_cleanly(2)
    assert line == (
        f"error: {inbox / 'a_free.csv'} does not fit demand@1: price is String, the model takes Float64"
    ), line
