"""Helpers shared by the benchmark scripts in this folder (not a benchmark itself).

The machine these run on is shared and noisy, so every script measures a baseline in the same
run, interleaves the repetitions of the things it compares, and reports ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

MIB = 1024 * 1024


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="make the temporary folder under this one (default: the system temp "
        "folder, usually /tmp); it is removed at the end",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return p


@contextmanager
def scratch(parent: Path | None, keep: bool = False) -> Iterator[Path]:
    """A fresh temporary folder, removed afterwards (with everything in it)."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="wb-bench-", dir=parent))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}")
        else:
            remove(path)


def remove(path: Path) -> None:
    """Delete a file or a folder tree, read-only files included (the store's objects are)."""
    if path.is_dir() and not path.is_symlink():

        def make_writable(func, p, _exc):  # type: ignore[no-untyped-def]
            os.chmod(p, 0o700)
            func(p)

        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=make_writable)
        else:
            shutil.rmtree(path, onerror=make_writable)
    else:
        path.unlink(missing_ok=True)


def sync() -> None:
    """Flush dirty pages so the next measurement does not pay for the previous one's writes."""
    if hasattr(os, "sync"):
        os.sync()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_quiet(cmd: Sequence[str | os.PathLike], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing loudly (with its stderr) if it fails."""
    done = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(
            f"command failed ({done.returncode}): {' '.join(map(str, cmd))}\n{done.stderr.strip()}"
        )
    return done


def run_timed(cmd: Sequence[str | os.PathLike], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of a command that must succeed (its output discarded)."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(map(str, cmd))} failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return elapsed


def wb_command() -> list[str]:
    """How to run this environment's `wb` without a shim in between (pyenv's adds ~0.1 s)."""
    script = Path(sys.executable).parent / "wb"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "workbench"]


def read_through(path: Path) -> None:
    """Read a file once so that its pages are in the page cache (a warm source)."""
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(8 * MIB)
        while f.readinto(buf):
            pass


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    lines = [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in cells)]
    return "\n".join(lines)


def result(ratio: float, target: float, at_most: bool = True, extra: str = "") -> bool:
    """Print the final `RESULT ...` line; returns whether the target was met."""
    ok = ratio <= target if at_most else ratio >= target
    op = "<=" if at_most else ">="
    tail = f" {extra}" if extra else ""
    print(f"RESULT ratio={ratio:.2f} target{op}{target:g}{tail} {'PASS' if ok else 'FAIL'}")
    return ok
