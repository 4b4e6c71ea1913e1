"""An interrupted pull leaves nothing half-visible and the next one completes: a real `wb pull`
process killed (SIGKILL) while it downloads from the real S3 server."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from tests.conftest import DROPS
from tests.remotes.test_sync import Workspace
from workbench.core.storage.hashing import hash_bytes
from workbench.core.storage.local_backend import LocalBackend

FILLER = 400  # objects enough that a pull is still copying when it is killed
DEADLINE_S = 60
ARRIVED = 30


def test_a_pull_killed_midway_shows_nothing_and_the_next_one_completes(s3, tmp_path):
    here, there = Workspace(tmp_path / "here"), Workspace(tmp_path / "there")
    args = [f"s3://{s3.bucket}/{tmp_path.name}", "--endpoint-url", s3.endpoint_url]
    for ws in (here, there):
        ws("remote", "add", "origin", *args, "--default")
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("push")
    # Many small objects beside the pushed ones, uploaded in one batch.
    remote = s3.backend(tmp_path.name)
    fillers = [f"filler object {i}\n".encode() * 20 for i in range(FILLER)]
    s3.fs.pipe({remote.path(hash_bytes(data)): data for data in fillers})
    on_remote = sum(1 for _ in remote.list())
    assert on_remote > FILLER

    pull = subprocess.Popen(
        [shutil.which("wb") or "wb", "-w", str(there.root), "pull"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    objects = there.root / ".wb/objects"
    deadline = time.monotonic() + DEADLINE_S
    while sum(1 for _ in LocalBackend(objects).list()) < ARRIVED:  # some objects arrived whole
        assert pull.poll() is None, pull.stderr.read() if pull.stderr else ""
        assert time.monotonic() < deadline, "the pull copied nothing within a minute"
        time.sleep(0.01)  # polling a condition (objects on disk), with a deadline
    pull.kill()
    assert pull.wait() == -9  # killed while still copying, not finished

    assert there.json("data", "list") == []  # nothing indexed: no half-pulled version shows
    assert there.json("runs", "list") == []
    checked = there.json("fsck", code=0)
    assert checked["corrupt"] == [] and ARRIVED <= checked["objects"] < on_remote  # each whole, or absent

    resumed = there.json("pull")
    assert resumed["skipped"] >= ARRIVED and resumed["objects"] == on_remote - resumed["skipped"]
    assert there.log() == here.log()
    assert there.json("fsck")["objects"] == on_remote


def test_a_push_sweeps_what_a_killed_push_left_once_it_is_stale(tmp_path):
    here = Workspace(tmp_path / "here")
    here("remote", "add", "usb", tmp_path / "usb", "--default")
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    here("push")
    temps = tmp_path / "usb/objects/tmp"
    temps.mkdir(exist_ok=True)
    stale, young = temps / "dead.tmp", temps / "live.tmp"
    for path in (stale, young):
        path.write_bytes(b"half an object")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    here("data", "add", DROPS / "week_02.csv", "--name", "sales")
    assert here.json("push")["records"] == 1
    assert not stale.exists() and young.exists()  # a young one may be another push's, at work


def test_a_push_with_nothing_new_lists_nothing_but_a_remote_emptied_or_replaced_gets_everything(tmp_path):
    """As of the last push the remote held everything here, and push never deletes: with
    nothing indexed since, there is nothing to send and nothing to list, once the remote's
    identity says it is the same remote. One emptied, or another remote put at its URL, has
    another identity: the push lists it and sends it all again."""
    here, other = Workspace(tmp_path / "here"), Workspace(tmp_path / "other")
    here("remote", "add", "usb", tmp_path / "usb", "--default")
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    sent = here.json("push")["objects"]
    again = here.json("push")
    assert (again["objects"], again["skipped"]) == (0, sent)
    (tmp_path / "usb").rename(tmp_path / "old")
    (tmp_path / "usb").mkdir()  # emptied
    assert here.json("push")["objects"] == sent
    assert here.json("push")["objects"] == 0
    other("remote", "add", "usb", tmp_path / "theirs", "--default")
    other("data", "add", DROPS / "week_02.csv", "--name", "sales")
    other("push")
    shutil.rmtree(tmp_path / "usb")
    (tmp_path / "theirs").rename(tmp_path / "usb")  # another remote in its place
    assert here.json("push")["objects"] == sent
    there = Workspace(tmp_path / "there", init=False)
    there("clone", tmp_path / "usb", tmp_path / "there")
    assert {v["hash"] for v in there.json("data", "log", "sales")} == {
        v["hash"] for w in (here, other) for v in w.json("data", "log", "sales")
    }
