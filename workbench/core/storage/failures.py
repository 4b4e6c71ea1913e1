"""The places wb stands on failing under it: a full disk, a read-only folder, a damaged database.

Turns the operating system's and SQLite's errors into one `WbError` sentence that says what
happened and where, so neither the CLI nor the Python API ever shows a raw `OSError` or
`sqlite3.OperationalError`. Anything not recognised here stays a crash: it is a bug in wb.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from ..errors import WbError

NOTHING_CHANGED = "nothing was changed"


class ReadOnlyWorkspace(WbError):
    """A write asked of a workspace that can only be read (a mounted backup, another's folder)."""


class NoSpace(WbError):
    """The disk (or a quota) is full."""


class DamagedWorkspace(WbError):
    """A workspace database that is missing, empty, garbled or another workspace's."""


def read_only(where: Path | str) -> ReadOnlyWorkspace:
    return ReadOnlyWorkspace(f"the workspace at {where} is read-only; {NOTHING_CHANGED}")


def _nearly_full(path: Path) -> bool:
    folder = path if path.is_dir() else path.parent
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def translate(exc: BaseException, where: Path | str | None = None) -> WbError | None:
    """The sentence for a failure of the ground under wb, or None when it is not one."""
    place = f" ({where})" if where is not None else ""
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "disk is full" in text:
            return NoSpace(
                f"no space left on the device holding the workspace database{place}; "
                f"free some space and try again (the unfinished step was undone)"
            )
        if "readonly" in text or "read-only" in text:
            return read_only(where or "this path")
        if "locked" in text or "busy" in text:
            return WbError(
                f"the workspace database{place} stayed locked by another wb for too "
                f"long; try again when it has finished"
            )
        if "disk i/o" in text:  # SQLite says this, not "full", when its WAL index cannot grow
            if where is not None and _nearly_full(Path(where)):
                return NoSpace(
                    f"no space left on the device holding the workspace database"
                    f"{place}; free some space and try again (the unfinished step "
                    f"was undone)"
                )
            return WbError(
                f"the device failed to read or write the workspace database{place} (disk I/O error)"
            )
        if "malformed" in text or "not a database" in text:
            return DamagedWorkspace(
                f"the workspace database{place} is damaged ({exc}); run "
                f"`wb fsck` and restore .wb/wb.db from a backup"
            )
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
            return WbError(
                f"cannot open the workspace database{place}; check that the folder "
                f"exists and that you may read it"
            )
        return None
    if isinstance(exc, OSError):
        path = exc.filename or where
        at = f" ({path})" if path is not None else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return NoSpace(
                f"no space left to write{at}; free some space and try again (the unfinished step was undone)"
            )
        if exc.errno == errno.EROFS:
            return ReadOnlyWorkspace(f"cannot write{at}: the file system is read-only; {NOTHING_CHANGED}")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return WbError(f"permission denied{at}")
        if exc.errno == errno.EIO:
            return WbError(f"the device failed to read or write{at} (input/output error)")
        return None
    if isinstance(exc, OverflowError):
        return WbError(f"a number is too large for wb to store or look up ({exc})")
    return None
