"""A folder of Parquet files, or a glob pattern of them, as one dataset version (a partitioned
drop, as Spark, Hive and polars write them: `region=north/part-0.parquet`).

Each file is an object in the store; the version's bytes are its manifest, canonical JSON
listing every file's path (relative to the folder), object id and size, so the same files make
the same version and checkout writes the same tree back. The profile lists the files too
(`files`), and the version's record names them as parts: gc keeps them and push sends them.
Files and folders whose names start with `_` or `.` (`_SUCCESS`, `.part-0.crc`) are not data,
as those tools agree. The `key=value` folders above a file are columns of its rows, typed as
one type across every file: whole numbers, numbers, ISO dates or text.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

    from ..storage.store import ObjectStore, StagedObject

FORMAT = "parquet_dir"  # a version's `format`
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Tree:
    """The files of a partitioned drop: (path relative to its folder, where its bytes are: a
    file, or bytes already read and verified)."""

    label: str  # the folder, or the version's ref
    files: tuple[tuple[str, Path | bytes], ...]
    sizes: tuple[int, ...] = field(default=())

    def __str__(self) -> str:
        return self.label

    @property
    def size(self) -> int:
        return sum(self.sizes)


def named(path: Path) -> Tree | None:
    """The tree `path` names: a folder, or a glob pattern of Parquet files (`drops/*.parquet`,
    quoted from the shell) that is no file's name; None for a file."""
    if path.is_dir():
        return of_folder(path)
    if path.exists() or not any(c in str(path) for c in "*?["):
        return None
    # The pattern's files, by their path below the folder it starts from, or above that folder's
    # key=value/ folders (they are columns of its rows: `sales/year=2025/*.parquet` has a year).
    fixed = next(i for i, part in enumerate(path.parts) if any(c in part for c in "*?["))
    start = Path(*path.parts[:fixed]) if fixed else Path(".")
    found = [p for p in start.glob(str(Path(*path.parts[fixed:]))) if p.is_file()]
    root = start
    while "=" in root.name:
        root = root.parent
    return _of_files(str(path), root, found)


def of_folder(folder: Path) -> Tree:
    """The Parquet files under `folder`, by path; InvalidInput when there are none."""
    return _of_files(str(folder), folder, list(folder.rglob("*")))


def _of_files(label: str, root: Path, paths: list[Path]) -> Tree:
    found = []
    for path in sorted(paths):
        rel = path.relative_to(root)
        if any(part.startswith(("_", ".")) for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in (".parquet", ".pq"):
            raise InvalidInput(
                f"{label} holds {rel.as_posix()}, not a Parquet file: a folder is one version "
                f"only as Parquet files (hive-style key=value/ folders)"
            )
        found.append((rel.as_posix(), path))
    if not found:
        raise InvalidInput(f"{label} holds no Parquet files")
    return Tree(label, tuple(found), tuple(p.stat().st_size for _, p in found))


def listed(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The files a version's profile lists (none for a version of one file)."""
    return list(profile.get("files", ()))


def of_store(label: str, files: list[dict[str, Any]], read: Callable[[str], Path | bytes]) -> Tree:
    """A stored tree, its files' bytes given by `read(oid)` (an object's path, or its verified bytes)."""
    return Tree(label, tuple((f["path"], read(f["oid"])) for f in files), tuple(f["size"] for f in files))


def _partitions(rel: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for part in PurePosixPath(rel).parts[:-1]:
        key, eq, value = part.partition("=")
        if eq and key:
            value = unquote(value)
            values[unquote(key)] = None if value == HIVE_NULL else value
    return values


def _types(tree: Tree) -> dict[str, Any]:
    """Each partition key's type, from its values in every file."""
    import polars as pl

    seen: dict[str, list[str]] = {}
    for rel, _ in tree.files:
        for key, value in _partitions(rel).items():
            seen.setdefault(key, []).extend([] if value is None else [value])
    types: dict[str, Any] = {}
    candidates: tuple[tuple[re.Pattern, Any], ...] = (
        (_INT, pl.Int64),
        (_FLOAT, pl.Float64),
        (_DATE, pl.Date),
    )
    for key, values in seen.items():
        for pattern, dtype in candidates:
            if all(pattern.match(v) for v in values):
                types[key] = dtype
                break
        else:
            types[key] = pl.String
    return types


def _with_partitions(df: pl.DataFrame, rel: str, types: dict[str, Any]) -> pl.DataFrame:
    import polars as pl

    values = _partitions(rel)
    columns = []
    for key, dtype in types.items():
        if key in df.columns:  # kept in the file too (polars' partition_by does): its own, as polars reads it
            continue
        value = values.get(key)
        lit = pl.lit(value, dtype=pl.String)
        columns.append((lit.str.to_date("%Y-%m-%d") if dtype == pl.Date else lit.cast(dtype)).alias(key))
    return df.with_columns(columns) if columns else df


def _source(where: Path | bytes) -> Any:
    return io.BytesIO(where) if isinstance(where, bytes) else where


def read(tree: Tree) -> pl.DataFrame:
    """Every file's rows, with their partition columns, in the order of the files."""
    import polars as pl

    types = _types(tree)
    frames = []
    for rel, where in tree.files:
        try:
            frames.append(_with_partitions(pl.read_parquet(_source(where), glob=False), rel, types))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(tree, rel, exc) from None
    return _concat(tree, frames)


def batches(tree: Tree, rows: int) -> Iterator[pl.DataFrame]:
    """The files' rows in batches of about `rows` rows, file after file (polars' streaming
    reader on each), with their partition columns."""
    import polars as pl

    types = _types(tree)
    first: pl.Schema | None = None
    for rel, where in tree.files:
        try:
            for batch in pl.scan_parquet(_source(where), glob=False).collect_batches(chunk_size=rows):
                batch = _with_partitions(batch, rel, types)
                first = first or batch.schema
                if batch.schema != first:
                    raise _different(tree, rel, batch.schema, first)
                yield batch
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _unreadable(tree, rel, exc) from None


def _concat(tree: Tree, frames: list[pl.DataFrame]) -> pl.DataFrame:
    import polars as pl

    for (rel, _), frame in zip(tree.files, frames, strict=True):
        if frame.schema != frames[0].schema:
            raise _different(tree, rel, frame.schema, frames[0].schema)
    return pl.concat(frames)


def _different(tree: Tree, rel: str, schema: pl.Schema, first: pl.Schema) -> InvalidInput:
    def words(s: pl.Schema) -> str:
        return ", ".join(f"{k} {v}" for k, v in s.items())

    return InvalidInput(
        f"the files of {tree} have different columns: {rel} has {words(schema)}; "
        f"{tree.files[0][0]} has {words(first)}"
    )


def _unreadable(tree: Tree, rel: str, exc: BaseException) -> InvalidInput:
    first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return InvalidInput(f"cannot read {rel} of {tree} as Parquet: {first}")


@dataclass
class StagedTree:
    """Every file of a tree staged (hashed into temp files) and its manifest: as `StagedObject`,
    `commit()` or `discard()` them all."""

    store: ObjectStore
    files: list[StagedObject]
    manifest: StagedObject
    listing: list[dict[str, Any]]  # the manifest's entries: path, oid, size

    @property
    def oid(self) -> str:
        return self.manifest.oid

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def commit(self) -> bool:
        for staged in self.files:
            staged.commit()
        return self.manifest.commit()

    def discard(self) -> None:
        for staged in (*self.files, self.manifest):
            staged.discard()


def stage(
    store: ObjectStore, tree: Tree, progress: Callable[[int], None] | None, cancel: threading.Event
) -> StagedTree:
    """Stage each file of `tree` and the manifest that lists them."""
    files: list[StagedObject] = []
    try:
        for _, where in tree.files:
            assert isinstance(where, Path)
            files.append(store.stage_file(where, progress=progress, cancel=cancel))
        listing = [
            {"path": rel, "oid": staged.oid, "size": staged.size}
            for (rel, _), staged in zip(tree.files, files, strict=True)
        ]
        manifest = store.stage_stream(io.BytesIO(_manifest(listing)))
    except BaseException:
        for staged in files:
            staged.discard()
        raise
    return StagedTree(store, files, manifest, listing)


def _manifest(listing: list[dict[str, Any]]) -> bytes:
    return json.dumps({"files": listing}, sort_keys=True, separators=(",", ":")).encode()


def digest(tree: Tree) -> str:
    """The hash a version of `tree` has (its manifest's), from its files' bytes: what the
    watcher tells a drop it took before by."""
    from ..storage import hashing

    listing = []
    for (rel, where), size in zip(tree.files, tree.sizes, strict=True):
        assert isinstance(where, Path)  # a folder's files
        listing.append({"path": rel, "oid": hashing.hash_file(where), "size": size})
    return hashing.hash_bytes(_manifest(listing))
