"""End-to-end helpers: the real `wb`, run as a subprocess in a throwaway workspace.

Every test here goes through `python -m workbench ...` exactly as a user or a script would: the
only things checked are the exit code, stdout, stderr and what lands on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DROPS = Path(__file__).resolve().parents[2] / "sample_data" / "drops"
TIMEOUT_S = 120


def wb_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's shell, minus anything that would pick the workspace or the
    terminal width for wb (a cron job has neither)."""
    env = os.environ.copy()
    for var in ("WB_WORKSPACE", "COLUMNS", "LINES"):
        env.pop(var, None)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class WbResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"wb {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )

    def ok(self) -> WbResult:
        assert self.returncode == 0, str(self)
        assert "Traceback" not in self.stderr, str(self)
        return self

    def json(self) -> Any:
        """The one JSON document that a successful `--json` command printed on stdout."""
        self.ok()
        try:
            # json.loads rejects anything after the document except whitespace.
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"stdout is not exactly one JSON document ({exc})\n{self}") from None

    def failed_cleanly(self, code: int = 2) -> str:
        """Assert SPEC.md's shape of a failure: exit `code`, one readable line on stderr, no
        traceback, nothing on stdout (so certainly no JSON). Returns the error line."""
        lines = self.stderr.splitlines()
        problems = [
            *([f"exit code {self.returncode}, expected {code}"] if self.returncode != code else []),
            *(["a traceback on stderr"] if "Traceback" in self.stderr else []),
            *([f"{len(lines)} lines on stderr, expected one"] if len(lines) != 1 else []),
            *(["an empty error line"] if lines and not lines[0].strip() else []),
            *(["output on stdout"] if self.stdout.strip() else []),
        ]
        assert not problems, f"{'; '.join(problems)}\n{self}"
        return lines[0]


Runner = Callable[..., WbResult]


def run_wb(
    *args: str | os.PathLike, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT_S
) -> WbResult:
    """Run `wb ARGS...` in `cwd` and wait for it."""
    argv = tuple(str(a) for a in args)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *argv],
        cwd=cwd,
        env=wb_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return WbResult(argv, proc.returncode, proc.stdout, proc.stderr)


def popen_wb(
    *args: str | os.PathLike, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `wb ARGS...` in `cwd` without waiting."""
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *(str(a) for a in args)],
        cwd=cwd,
        env=wb_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def store_objects(root: Path) -> set[str]:
    """Every object file under the workspace's `.wb/objects/blake3/`, as relative paths."""
    base = root / ".wb" / "objects" / "blake3"
    return (
        {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()} if base.is_dir() else set()
    )


def temp_files(root: Path) -> list[Path]:
    """Files left in the store's temp folder."""
    tmp = root / ".wb" / "objects" / "tmp"
    return sorted(p for p in tmp.rglob("*") if p.is_file()) if tmp.is_dir() else []


@pytest.fixture(scope="session")
def wb() -> Runner:
    return run_wb


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh, empty workspace folder made by `wb init`."""
    return new_workspace(tmp_path)


def new_workspace(parent: Path, *, sales: bool = False) -> Path:
    """`parent/ws` made by `wb init`; with `sales`, holding sales@1 (the first weekly drop)."""
    root = parent / "ws"
    root.mkdir()
    run_wb("init", cwd=root).ok()
    if sales:
        run_wb("data", "add", DROPS / "week_01.csv", "--name", "sales", cwd=root).ok()
    return root
