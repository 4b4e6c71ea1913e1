"""A run's artifacts as `wb runs artifacts` lists them and fetches one, its bytes verified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from ..storage.workspace import Workspace
from .records import RunRecord


@dataclass(frozen=True)
class FetchedArtifact:
    """What `wb runs artifacts --get PATH -o FILE` wrote."""

    path: str  # the artifact's name within the run
    output: Path  # where its bytes were written
    size: int
    hash: str  # the object the bytes were verified against

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "output": str(self.output), "size": self.size, "hash": self.hash}


def fetch(ws: Workspace, info: RunRecord, path: str, dest: Path, force: bool = False) -> FetchedArtifact:
    """Write the bytes of the run's artifact `path` to the file `dest` (overwriting it only
    with `force`), checked against their hash."""
    artifact = next((a for a in info.artifacts if a.path == path), None)
    if artifact is None:
        known = ", ".join(a.path for a in info.artifacts) or "none"
        raise NotFound(f"run {info.name} has no artifact {path!r}; its artifacts: {known}")
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder; give a file path with -o")
    if dest.exists() and not force:
        raise InvalidInput(f"{dest} already exists; pass --force to overwrite it")
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    ws.store.copy_verified(artifact.hash, dest)
    return FetchedArtifact(path, dest, artifact.size, artifact.hash)
