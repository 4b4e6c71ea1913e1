"""`wb alerts test`: a sample alert through `[alerts]` command and file, what happened to each,
and the exit code a script can check; `wb alerts list` showing deliveries that failed."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DROPS

RECEIVER = """\
import sys
with open(sys.argv[1], "a") as out:
    out.write(sys.stdin.read().strip() + "\\n")
"""


def configure(root: Path, **settings: object) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    (root / ".wb" / "config.toml").write_text("[alerts]\n" + lines)


@pytest.fixture
def receiver(tmp_path) -> list[str]:
    (tmp_path / "receive.py").write_text(RECEIVER)
    return [sys.executable, str(tmp_path / "receive.py"), str(tmp_path / "got.jsonl")]


def test_without_a_channel_it_says_how_to_configure_one(wb):
    result = wb("alerts", "test")
    assert "No alert channel is configured" in result.stdout
    assert "under [alerts] in .wb/config.toml" in result.stdout
    assert json.loads(wb("alerts", "test", "--json").stdout) == {"configured": False, "deliveries": []}


def test_a_sample_goes_through_both_channels_marked_as_a_test_and_stored_nowhere(wb, tmp_path, receiver):
    configure(tmp_path, command=receiver, file="alerts.jsonl")
    result = wb("alerts", "test")
    assert result.stdout.splitlines() == [
        "file alerts.jsonl: delivered",
        f"command {receiver[0]} {receiver[1]} {receiver[2]}: delivered",
    ]
    (received,) = (tmp_path / "got.jsonl").read_text().splitlines()
    (written,) = (tmp_path / "alerts.jsonl").read_text().splitlines()
    sample = json.loads(received)
    assert json.loads(written) == sample
    assert sample["test"] is True and sample["kind"] == "test" and sample["severity"] == "info"
    assert set(sample["link"]) == {"report", "dataset", "model", "run", "rollout"}
    assert wb("alerts", "list").stdout.strip() == "No alerts."


def test_a_failing_channel_is_named_with_its_reason_and_exits_1(wb, tmp_path):
    configure(tmp_path, command=["/no/such/notify", "--team", "demand"], file="alerts.jsonl")
    result = wb("alerts", "test", code=1)
    assert result.stdout.splitlines() == [
        "file alerts.jsonl: delivered",
        "command /no/such/notify --team demand: failed: /no/such/notify was not found",
    ]
    deliveries = json.loads(wb("alerts", "test", "--json", code=1).stdout)["deliveries"]
    assert [(d["channel"], d["delivered"]) for d in deliveries] == [("file", True), ("command", False)]


def test_a_command_that_is_not_a_list_is_one_sentence_and_exit_2(wb, tmp_path):
    (tmp_path / ".wb" / "config.toml").write_text('[alerts]\ncommand = "notify --team demand"\n')
    result = wb("alerts", "test", code=2)
    (line,) = result.stderr.strip().splitlines()
    assert "alerts.command must be a list of strings" in line and "Traceback" not in result.stderr


def test_alerts_list_shows_a_failed_delivery(wb, tmp_path):
    configure(tmp_path, command=["/no/such/notify"], attempts=1)
    for drop in ("reference", "week_05"):
        wb("data", "add", str(DROPS / f"{drop}.csv"), "--name", "sales")
    wb("drift", "check", "--reference", "sales@1", "--current", "sales@2")
    end = time.monotonic() + 60
    while (item := json.loads(wb("alerts", "list", "--json").stdout)[0])["delivery"] == "pending":
        assert time.monotonic() < end, "the delivery never settled"
        time.sleep(0.05)
    assert item["delivery"] == "failed" and item["severity"] == "warning"
    listed = wb("alerts", "list").stdout
    assert "failed" in listed and "Some alerts could not be delivered: `wb log` says why." in listed
    assert "/no/such/notify was not found" in wb("log").stdout
