"""The TUI's status line says where the workspace stands against its default remote, as of the
last push or pull, from what those kept in the workspace (no network call on start-up)."""

from __future__ import annotations

import shutil

from tests.conftest import DROPS
from tests.remotes.test_sync import Workspace
from tests.tui.conftest import _settled
from workbench.tui.app import WbApp


async def sub_title(root) -> str:
    app = WbApp(root)
    async with app.run_test(size=(160, 40)) as pilot:
        await _settled(app, pilot)
        return app.screen.sub_title


async def test_the_status_line_says_what_is_to_push_and_to_pull(tmp_path):
    here, there = Workspace(tmp_path / "here"), Workspace(tmp_path / "there")
    usb = tmp_path / "usb"
    for ws in (here, there):
        ws("remote", "add", "origin", usb, "--default")
    here("data", "add", DROPS / "week_01.csv", "--name", "sales")
    assert "origin" not in await sub_title(here.root)  # never pushed: nothing to say
    there("data", "add", DROPS / "week_03.csv", "--name", "other")
    there("push")
    assert "origin: up to date (as of " in await sub_title(there.root)
    here("push")  # the remote holds there's version, which here lacks: to pull
    assert "origin: 2 to pull (as of " in await sub_title(here.root)  # its bytes and its record
    here("data", "add", DROPS / "week_02.csv", "--name", "sales")
    assert "origin: 1 to push, 2 to pull (as of " in await sub_title(here.root)  # made since
    here("push")
    assert "origin: 2 to pull (as of " in await sub_title(here.root)  # push never deletes: still there
    here("pull")
    said = await sub_title(here.root)
    assert "origin: up to date (as of " in said
    shutil.rmtree(usb)  # what the line says comes from the workspace, not from the remote
    assert await sub_title(here.root) == said
