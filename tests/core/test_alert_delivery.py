"""Alerts that reach people: each new alert goes to `[alerts] file` as one JSON line and to
`[alerts] command` as one JSON document on stdin, from a detached helper, so that the caller
never waits; a failing receiver is retried and its failure recorded. The receivers here are
real programs (small Python scripts written by the tests), and every wait is for something to
appear, with a deadline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.conftest import DROPS
from workbench.core import config, events
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.monitoring import alerts, drift
from workbench.core.monitoring.watcher import Watcher
from workbench.core.storage.db import transaction
from workbench.core.storage.workspace import Workspace

T = TypeVar("T")
DEADLINE_S = 60.0

# Appends what it reads on stdin, as one line, to the file named by its first argument; with a
# second argument, first waits until that file exists (a receiver the test holds up).
RECEIVER = """\
import pathlib, sys, time
if len(sys.argv) > 2:
    while not pathlib.Path(sys.argv[2]).exists():
        time.sleep(0.01)
document = sys.stdin.read()
with open(sys.argv[1], "a") as out:
    out.write(document.strip() + "\\n")
"""
# Counts its attempts in the file named by its argument, then fails.
FAILING = """\
import sys
with open(sys.argv[1], "a") as out:
    out.write("attempt\\n")
sys.stderr.write("the pager service is down\\n")
sys.exit(3)
"""


def eventually(probe: Callable[[], T | None], what: str, deadline_s: float = DEADLINE_S) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after the deadline."""
    end = time.monotonic() + deadline_s
    while not (found := probe()):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.05)
    return found


def configure(ws: Workspace, **settings: object) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    ws.config_path.write_text("[alerts]\n" + lines)


def script(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def settled(ws: Workspace, alert_id: int) -> alerts.Alert | None:
    alert = alerts.get(ws, alert_id)
    return alert if alert is not None and alert.delivery != alerts.PENDING else None


def raise_one(ws: Workspace, kind: str, message: str, **link: str) -> int:
    with transaction(ws.conn) as conn:
        return alerts.raise_alert(conn, kind, message, subject="x", link=alerts.AlertLink(**link))


@pytest.fixture
def sales(ws):
    for drop in ("reference", "week_05"):
        datasets.add(ws, DROPS / f"{drop}.csv", "sales", drop)
    return ws


def test_a_drift_alert_reaches_the_command_as_one_json_document_and_the_file(sales, tmp_path):
    got = tmp_path / "got.jsonl"
    configure(
        sales,
        command=[sys.executable, script(tmp_path, "receive.py", RECEIVER), str(got)],
        file="alerts.jsonl",
    )
    report = drift.check(sales, "sales@1", "sales@2")
    (alert,) = alerts.list_alerts(sales)
    assert alert.kind == "drift" and alert.severity == "warning"

    (document,) = eventually(lambda: lines(got), "the command to receive the alert")
    assert document["id"] == alert.id and document["kind"] == "drift" and document["test"] is False
    assert document["message"] == alert.message and document["severity"] == "warning"
    assert document["link"] == {
        "report": report.report_id,
        "dataset": "sales@2",
        "model": None,
        "run": None,
        "rollout": None,
    }
    assert document["workspace"] == str(sales.root)
    assert lines(sales.root / "alerts.jsonl") == [document]  # the same document, one line
    assert eventually(lambda: settled(sales, alert.id), "the delivery to settle").delivery == alerts.DELIVERED
    (event,) = [e for e in events.recent(sales.conn) if e.kind == "alert.delivered"]
    assert [c["channel"] for c in event.data["channels"]] == ["file", "command"]


def test_the_file_gets_one_line_per_alert_in_order(ws):
    configure(ws, file="out/alerts.jsonl")
    ids = [raise_one(ws, "bad_file", f"bad file {n}", dataset="sales") for n in range(3)]
    eventually(lambda: all(settled(ws, i) for i in ids), "the three deliveries")
    written = lines(ws.root / "out" / "alerts.jsonl")
    assert [d["id"] for d in written] == ids
    assert [d["message"] for d in written] == ["bad file 0", "bad file 1", "bad file 2"]
    assert written[0]["link"]["dataset"] == "sales"


def test_a_failing_command_is_retried_and_its_failure_recorded(ws, tmp_path):
    tries = tmp_path / "tries"
    configure(ws, command=[sys.executable, script(tmp_path, "fail.py", FAILING), str(tries)], attempts=2)
    alert_id = raise_one(ws, "performance", "rmse is 30% worse", report="r1", model="demand")
    assert eventually(lambda: settled(ws, alert_id), "the retries to end").delivery == alerts.FAILED
    assert tries.read_text() == "attempt\nattempt\n"
    (event,) = [e for e in events.recent(ws.conn) if e.kind == "alert.undelivered"]
    assert event.subject == str(alert_id) and "the pager service is down" in event.message
    (channel,) = event.data["channels"]
    assert channel["delivered"] is False and channel["attempts"] == 2
    assert channel["reason"] == "it exited with 3: the pager service is down"


def test_a_missing_program_is_a_recorded_failure(ws):
    configure(ws, command=["/no/such/notify"], attempts=1)
    alert_id = raise_one(ws, "drift", "dataset drift")
    assert eventually(lambda: settled(ws, alert_id), "the delivery to fail").delivery == alerts.FAILED
    (event,) = [e for e in events.recent(ws.conn) if e.kind == "alert.undelivered"]
    assert event.data["channels"][0]["reason"] == "/no/such/notify was not found"


def test_a_command_past_its_timeout_is_stopped_and_a_recorded_failure(ws, tmp_path):
    never = tmp_path / "never"  # the receiver waits for this file, which nothing makes
    receiver = [sys.executable, script(tmp_path, "slow.py", RECEIVER), str(tmp_path / "got"), str(never)]
    configure(ws, command=receiver, timeout_s=0.5, attempts=1)
    alert_id = raise_one(ws, "drift", "dataset drift")
    assert eventually(lambda: settled(ws, alert_id), "the timeout").delivery == alerts.FAILED
    (event,) = [e for e in events.recent(ws.conn) if e.kind == "alert.undelivered"]
    assert event.data["channels"][0]["reason"] == "it did not finish within 0.5 s, and was stopped"


def test_an_alert_rolled_back_with_its_transaction_is_never_sent(ws, tmp_path):
    configure(ws, file="alerts.jsonl")
    with pytest.raises(RuntimeError), transaction(ws.conn) as conn:
        alerts.raise_alert(conn, "drift", "never committed")
        raise RuntimeError
    kept = raise_one(ws, "drift", "committed")  # may take the rolled-back alert's id
    eventually(lambda: settled(ws, kept), "the committed alert's delivery")
    assert [d["message"] for d in lines(ws.root / "alerts.jsonl")] == ["committed"]


def test_a_short_lived_drift_check_does_not_wait_for_a_slow_command(sales, tmp_path):
    """The receiver cannot finish until the test lets it, after `wb drift check` has exited:
    the check did not wait for it, and the alert still arrives once the check is gone."""
    got, go = tmp_path / "got.jsonl", tmp_path / "go"
    configure(sales, command=[sys.executable, script(tmp_path, "slow.py", RECEIVER), str(got), str(go)])
    try:
        done = subprocess.run(
            ["wb", "-w", str(sales.root), "drift", "check", "--reference", "sales@1", "--current", "sales@2"],
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
            env={k: v for k, v in os.environ.items() if k != "WB_WORKSPACE"},
        )
        assert done.returncode == 0, done.stderr
        assert not got.exists()  # the receiver is still held up
    finally:
        go.touch()
    (document,) = eventually(lambda: lines(got), "the alert after the check exited")
    assert document["kind"] == "drift"


def test_a_watcher_whose_command_fails_goes_on_taking_drops(ws, tmp_path):
    """The first drop's alert is still being retried (the command holds each attempt up until
    the test lets it go) while the watcher takes the second drop, which raises its own."""
    drops, tries, go = tmp_path / "drops", tmp_path / "tries", tmp_path / "go"
    drops.mkdir()
    held = "import pathlib, time\nwhile not pathlib.Path(sys.argv[2]).exists():\n    time.sleep(0.01)\n"
    failing = FAILING.replace("import sys\n", "import sys\n" + held)
    configure(
        ws, command=[sys.executable, script(tmp_path, "fail.py", failing), str(tries), str(go)], attempts=2
    )
    (drops / "a_bad.csv").write_bytes(b"\x00\x01garbage")
    (drops / "b_bad.csv").write_bytes(b"\x00\x02garbage")
    try:
        outcomes = Watcher(ws, drops, "sales").run(once=True)
        assert [o.status for o in outcomes] == ["failed", "failed"]
        assert [a.delivery for a in alerts.list_alerts(ws)] == [alerts.PENDING, alerts.PENDING]
    finally:
        go.touch()
    ids = [a.id for a in alerts.list_alerts(ws)]
    eventually(lambda: all(settled(ws, i) for i in ids), "both deliveries to fail", deadline_s=2 * DEADLINE_S)
    assert [a.delivery for a in alerts.list_alerts(ws)] == [alerts.FAILED, alerts.FAILED]
    assert tries.read_text() == "attempt\n" * 4


def test_a_config_broken_before_delivery_is_the_recorded_reason(ws):
    configure(ws, file="alerts.jsonl")
    with transaction(ws.conn) as conn:
        alert_id = alerts.raise_alert(conn, "drift", "dataset drift")
        ws.config_path.write_text('[alerts]\ncommand = "notify"\n')  # the helper reads it after the commit
    assert eventually(lambda: settled(ws, alert_id), "the delivery to fail").delivery == alerts.FAILED
    (event,) = [e for e in events.recent(ws.conn) if e.kind == "alert.undelivered"]
    assert "alerts.command must be a list of strings" in event.message


def test_without_a_channel_nothing_is_pending_and_nothing_runs(sales):
    drift.check(sales, "sales@1", "sales@2")
    (alert,) = alerts.list_alerts(sales)
    assert alert.delivery is None and not (sales.wb_dir / "alerts.lock").exists()


@pytest.mark.parametrize(
    "text, words",
    [
        (
            'command = "notify"',
            'alerts.command must be a list of strings (a program and its arguments), not "notify"',
        ),
        ('command = ["notify", 3]', "alerts.command must be a list of strings"),
        ("file = 1", "alerts.file must be a string, not 1"),
        ("timeout_s = 0", "alerts.timeout_s must be a number above 0, not 0"),
        ("attempts = 0", "alerts.attempts must be a whole number of at least 1, not 0"),
    ],
)
def test_a_bad_alerts_setting_is_one_sentence_naming_it(tmp_path, text, words):
    path = tmp_path / "config.toml"
    path.write_text("[alerts]\n" + text + "\n")
    with pytest.raises(InvalidInput, match=re.escape(words)):
        config.load(path)


def test_the_alerts_settings_are_typed_with_their_defaults(tmp_path):
    assert config.DEFAULT.alerts == config.AlertSettings(command=[], file="", timeout_s=30.0, attempts=4)
    assert not config.DEFAULT.alerts.configured
    path = tmp_path / "config.toml"
    path.write_text('[alerts]\ncommand = ["notify", "--team", "demand"]\n')
    assert config.load(path).alerts.command == ["notify", "--team", "demand"]
