"""`wb clone`: a new workspace from a remote, with that remote as its default (`origin`), as
`git clone` makes one from a repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import NotFound
from ..storage.backend import Progress
from ..storage.workspace import made_anew
from . import settings, sync
from .settings import Remote

ORIGIN = "origin"


@dataclass(frozen=True)
class Cloned:
    """The workspace a clone made, the remote it came from, and what the pull brought."""

    path: Path
    remote: Remote
    pulled: sync.SyncResult

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "remote": self.remote.to_dict(), "pulled": self.pulled.to_dict()}


def folder_for(url: str) -> Path:
    """Where a clone goes when no PATH is given: a folder in the current one named after the
    remote's last part (`s3://bucket/team/wb` -> `wb`, `/media/usb/sales` -> `sales`)."""
    normal = settings.normalise_url(url)
    return Path(PurePosixPath(normal.removeprefix(settings.S3_SCHEME)).name)


def clone_into(
    path: Path | None, url: str, endpoint_url: str | None, progress: Progress | None = None
) -> Cloned:
    """Make a workspace at `path` (new or empty), add `url` to it as the default remote and
    pull everything. Anything refused or failing (a bad URL, a bucket that does not exist,
    missing credentials, a damaged object, Ctrl-C) removes all that was made."""
    target = path if path is not None else folder_for(url)  # a bad URL is refused before anything
    with made_anew(target, "wb clone") as ws:
        remote = settings.add(ws, ORIGIN, url, endpoint_url, default=True)
        pulled = sync.pull(ws, ORIGIN, progress=progress)
        if not pulled.objects:  # a folder or prefix no wb ever pushed to: a mistyped URL
            raise NotFound(f"{remote.url} holds no wb remote: nothing was ever pushed there")
    return Cloned(ws.root, remote, pulled)
