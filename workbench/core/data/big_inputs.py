"""Data a command would read whole, when that would break `[data] memory_budget_mb`: a file, or
a stored version's object, to read in batches instead (see streaming.py).

A stored version's bytes are hashed on a thread while polars reads them, and the result
stands only once they match the version's hash, as `datasets.load` reads only verified bytes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import IntegrityError, InvalidInput, NotFound
from ..storage.workspace import Workspace
from . import datasets, streaming, tabular, trees


@dataclass(frozen=True)
class BigInput:
    label: str  # the version's ref or the file's path, as the command names it
    path: Path | trees.Tree  # the file or the folder's files, or their objects in the store
    fmt: str
    version: datasets.DatasetVersion | None


def of_target(ws: Workspace, target: str) -> BigInput | None:
    """The file or version `target` names (as `datasets.load_ref_or_file` reads it) when it is
    too big to read whole; None when it fits (or names nothing: the whole read says why)."""
    path = Path(target)
    tree = trees.named(path)
    if tree is not None:
        if streaming.fits_in_memory(tree.size, ws.config.data.memory_budget_mb):
            return None
        return BigInput(str(path), tree, trees.FORMAT, None)
    if path.is_file():
        size = tabular.check_readable(path)
        if streaming.fits_in_memory(size, ws.config.data.memory_budget_mb):
            return None
        return BigInput(str(path), path, tabular.detect_format(path), None)
    try:
        version = datasets.resolve(ws, target)
    except (NotFound, InvalidInput):
        return None
    return of_version(ws, version)


def of_version(ws: Workspace, version: datasets.DatasetVersion) -> BigInput | None:
    """A stored version, when it is too big to read whole."""
    if streaming.fits_in_memory(version.size, ws.config.data.memory_budget_mb):
        return None
    for oid in _objects(version):
        ws.store.open(oid).close()  # a missing object: the store's sentence
    files = trees.listed(version.profile)
    if files:
        return BigInput(
            version.ref, trees.of_store(version.ref, files, ws.objects.path), version.format, version
        )
    return BigInput(version.ref, ws.objects.path(version.hash), version.format, version)


def _objects(version: datasets.DatasetVersion) -> list[str]:
    """The objects that hold a version's bytes: its own, and a folder's files."""
    return [version.hash, *(f["oid"] for f in trees.listed(version.profile))]


@contextlib.contextmanager
def verified(ws: Workspace, big: BigInput) -> Iterator[None]:
    """Read `big` in the block; a stored version's bytes are hashed meanwhile, and the block's
    result stands only if they match its hash (and a folder's files theirs)."""
    if big.version is None:
        yield
        return
    oids = _objects(big.version)
    corrupt: list[str] = []

    def verify() -> None:
        corrupt.extend(oid for oid in oids if not ws.store.verify(oid))

    thread = threading.Thread(target=verify, name="wb-verify", daemon=True)
    thread.start()
    yield
    thread.join()
    if corrupt:
        raise IntegrityError(f"object {corrupt[0][:12]} is corrupt (its bytes no longer match its hash)")
