"""What a run records about where it ran: Python, platform, host, packages, git state."""

from __future__ import annotations

import functools
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Environment:
    python: str
    platform: str
    host: str
    packages: str  # "name==version" lines, sorted
    git_commit: str | None
    git_dirty: bool
    git_diff: str  # uncommitted changes against HEAD, as `git diff` prints them

    def summary(self) -> dict:
        return {
            "python": self.python,
            "platform": self.platform,
            "host": self.host,
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,
        }


def capture(cwd: Path) -> Environment:
    commit, diff = _git(cwd)
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        host=socket.gethostname(),
        packages=installed_packages(),
        git_commit=commit,
        git_dirty=bool(diff),
        git_diff=diff,
    )


@functools.cache
def installed_packages() -> str:
    """Every installed distribution as name==version lines. Cached for the process: scanning
    site-packages costs ~60 ms, and what is installed does not change under a running sweep."""
    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            seen[name.lower()] = f"{name}=={dist.version}"
    return "\n".join(seen[k] for k in sorted(seen)) + "\n"


GIT_CACHE_S = 2.0


def _git(cwd: Path) -> tuple[str | None, str]:
    """(HEAD commit, diff of uncommitted changes to tracked files), or (None, "") outside git.
    Asked at most once per GIT_CACHE_S per folder: a sweep starting many runs at once asks
    once, and an edit made between two runs a user starts by hand is still seen."""
    return _git_cached(cwd.resolve(), int(time.time() // GIT_CACHE_S))


@functools.lru_cache(maxsize=8)
def _git_cached(cwd: Path, time_bucket: int) -> tuple[str | None, str]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=True
        ).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        return commit, git("diff", "HEAD", "--no-color", "--no-ext-diff")
    except (OSError, subprocess.SubprocessError):
        return None, ""
