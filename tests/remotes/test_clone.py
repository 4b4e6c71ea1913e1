"""`wb clone`: a new workspace from a remote, as a user runs it, and nothing left behind when
it cannot be made."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.conftest import DROPS
from tests.remotes import test_sync
from tests.remotes.test_sync import Workspace, both_know
from workbench.cli.main import app

# The workspace and remote fixtures of the push and pull tests.
here, remote, remote_args = test_sync.here, test_sync.remote, test_sync.remote_args


def wb(*args, code: int = 0):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def test_a_clone_has_the_remote_s_versions_and_the_remote_as_its_default(here, remote_args, tmp_path):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("data", "add", DROPS / "week_02.csv", "--name", "sales")
    both_know(remote_args, here)
    here("push")

    cloned = json.loads(wb("clone", *remote_args, tmp_path / "copy", "--json").stdout)
    assert cloned["pulled"]["records"] == 2 and cloned["remote"]["name"] == "origin"
    copy = Workspace.__new__(Workspace)  # the clone made it: no `wb init` here
    copy.root, copy.runner = tmp_path / "copy", CliRunner()
    assert copy.log() == here.log()
    assert copy.json("remote", "list") == [{**cloned["remote"], "default": True}]
    assert copy.json("pull")["objects"] == 0  # it has everything, and pulls from origin unnamed


def test_a_clone_that_cannot_be_made_leaves_nothing(here, tmp_path):
    missing = tmp_path / "no-such-remote"
    refused = wb("clone", missing, tmp_path / "copy", code=2)
    assert "does not exist" in refused.stderr and not (tmp_path / "copy").exists()

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    refused = wb("clone", tmp_path / "usb", taken, code=2)
    assert "is not empty" in refused.stderr and [p.name for p in taken.iterdir()] == ["notes.txt"]

    assert "is not one wb can use" in wb("clone", "gs://bucket/x", tmp_path / "c", code=2).stderr
    assert not (tmp_path / "c").exists()

    stray = tmp_path / "photos"  # a folder, but not a remote: a mistyped path
    stray.mkdir()
    (stray / "cat.jpg").write_bytes(b"jpeg")
    refused = wb("clone", stray, tmp_path / "d", code=2)
    assert f"{stray} holds no wb remote" in refused.stderr and not (tmp_path / "d").exists()
    assert [p.name for p in stray.iterdir()] == ["cat.jpg"]


def test_without_a_path_the_clone_is_named_after_the_remote(here, tmp_path, monkeypatch):
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("remote", "add", "origin", tmp_path / "shared" / "sales-team", "--default")
    here("push")
    monkeypatch.chdir(tmp_path)
    said = wb("clone", tmp_path / "shared" / "sales-team").stdout
    assert f"into {tmp_path / 'sales-team'}" in said
    assert (tmp_path / "sales-team" / ".wb" / "wb.db").is_file()
