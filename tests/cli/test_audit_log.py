"""The audit log says who did each thing: the OS user, in `wb log` and its JSON."""

from __future__ import annotations

import getpass
import json


def test_every_event_names_the_os_user(wb, tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n3,4\n")
    wb("data", "add", tmp_path / "d.csv", "--name", "d")
    found = json.loads(wb("log", "--json").stdout)
    assert [e["kind"] for e in found] == ["dataset.add", "workspace.init"]
    assert {e["user"] for e in found} == {getpass.getuser()}
    header, _, first, *_ = wb("log").stdout.splitlines()
    assert header.split()[:3] == ["time", "┃", "user"] and getpass.getuser() in first
