"""Dataset versions: immutable, content-addressed snapshots of a tabular file, with a profile.

References: `name` or `name@latest` (the latest version), `name@N` (version N), `name@ALIAS`
(a tag: `wb data tag sales@1 reference` makes `sales@reference`) or `name@PREFIX` (a unique
prefix, at least 4 hex digits, of the content hash). An alias never reads as one of the others.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import events
from ..errors import Ambiguous, InvalidInput, NotFound
from ..names import NAME_RE, check_name, did_you_mean, plural, split_ref, version_number
from ..storage import records
from ..storage.db import id_for_name, next_version, transaction
from ..storage.store import ObjectStore, StagedObject
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import profile_diff, trees

MIN_HASH_PREFIX = 4
REFERENCE_ALIAS = "reference"  # the alias `wb watch` checks each drop against, when it exists


@dataclass(frozen=True)
class DatasetVersion:
    name: str
    version: int
    hash: str
    hash_algo: str
    format: str
    size: int
    rows: int
    columns: int
    schema: list[dict[str, str]]
    profile: dict[str, Any]
    message: str
    source_path: str | None
    valid: bool | None
    created_at: str
    tags: tuple[str, ...] = ()  # the dataset's aliases that point at this version

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def summary(self) -> dict[str, Any]:
        """The fields of SPEC.md's `wb data log --json` entries."""
        return {
            "version": self.version,
            "hash": self.hash,
            "rows": self.rows,
            "columns": self.columns,
            "created_at": self.created_at,
            "message": self.message,
            "valid": self.valid,
            "tags": list(self.tags),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.summary(),
            "hash_algo": self.hash_algo,
            "format": self.format,
            "size": self.size,
            "source_path": self.source_path,
            "schema": self.schema,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class AddResult:
    version: DatasetVersion
    unchanged: bool
    violations: list | None = None  # contract violations; None when there is no contract
    same_as: str | None = None  # a new version of bytes an earlier version holds: that one

    def to_dict(self) -> dict[str, Any]:
        v = self.version
        return {
            "name": v.name,
            "version": v.version,
            "hash": v.hash,
            "rows": v.rows,
            "columns": v.columns,
            "unchanged": self.unchanged,
            "valid": v.valid,
            "same_as": self.same_as,
            "violations": None if self.violations is None else [x.to_dict() for x in self.violations],
        }


@dataclass(frozen=True)
class Refusal:
    """`wb data add --strict` of a version that breaks its dataset's contract: nothing stored."""

    name: str  # the dataset
    violations: list  # [contracts.Violation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stored": False,
            "passed": False,
            "violations": [x.to_dict() for x in self.violations],
        }


_SELECT = """
SELECT d.name, v.version, v.hash, v.hash_algo, v.format, v.size, v.rows, v.columns, v.schema,
       v.profile, v.message, v.source_path, v.valid, v.created_at,
       (SELECT group_concat(a.alias, ',') FROM dataset_aliases a
        WHERE a.dataset_id = v.dataset_id AND a.version = v.version) AS tags
FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
"""


def _from_row(row: sqlite3.Row) -> DatasetVersion:
    return DatasetVersion(
        name=row["name"],
        version=row["version"],
        hash=row["hash"],
        hash_algo=row["hash_algo"],
        format=row["format"],
        size=row["size"],
        rows=row["rows"],
        columns=row["columns"],
        schema=json.loads(row["schema"]),
        profile=json.loads(row["profile"]),
        message=row["message"],
        source_path=row["source_path"],
        valid=None if row["valid"] is None else bool(row["valid"]),
        created_at=row["created_at"],
        tags=tuple(sorted(row["tags"].split(","))) if row["tags"] else (),
    )


# -- adding ---------------------------------------------------------------------------------
def add(
    ws: Workspace,
    path: Path,
    name: str,
    message: str = "",
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
    once: bool = False,
) -> AddResult:
    """Version the file at `path` under `name`. The file itself is only read.

    The bytes are hashed and copied into the store on a thread while polars parses and profiles
    the file, so storing costs little on top of reading. A file too big to read whole within
    `[data] memory_budget_mb` is profiled in batches (see streaming.py). The version exists
    only once SQLite has committed it; any failure before that leaves no row and no temp file.
    A dataset with a contract is validated on the way in (a streamed file batch by batch, in
    the same pass); with `strict`, a version that breaks it is refused.
    With `once` (the watcher), bytes that any version already holds make no new version.
    """
    from . import contracts, profile, streaming, tabular  # polars: only commands that read data pay for it

    check_name(name, "dataset")
    path = Path(path)
    tree = trees.named(path)
    source: Path | trees.Tree = path if tree is None else tree
    size = tabular.check_readable(path) if tree is None else tree.size
    fmt = tabular.detect_format(path) if tree is None else trees.FORMAT
    settings = ws.config.data
    contract_text = contracts.get_text(ws, name)
    contract = None if contract_text is None else contracts.parse(contract_text, f"the contract of {name}")
    streamed = not streaming.fits_in_memory(size, settings.memory_budget_mb)
    # The shared lock keeps gc out from the first byte staged to the commit.
    with ws.writing_objects():
        stager = _Stager(ws, source, progress)
        try:
            violations = None
            if streamed:
                from . import contract_stream

                checks = (
                    []
                    if contract is None
                    else [contract_stream.ContractChecks(contract, settings.memory_budget_mb)]
                )
                schema, prof = streaming.profile_file(
                    source,
                    fmt,
                    budget_mb=settings.memory_budget_mb,
                    bins=settings.histogram_bins,
                    top=settings.top_values,
                    also=checks,
                )
                if checks:
                    violations = checks[0].violations(source, fmt)
            else:
                df = tabular.read_table(path, fmt) if tree is None else trees.read(tree)
                prof = profile.compute(df, bins=settings.histogram_bins, top=settings.top_values)
                schema = profile.schema_of(df)
                if contract is not None:
                    violations = contracts.validate(df, contract)
                del df
            if strict and violations:
                raise contracts.ContractBroken(name, violations)
            staged = stager.result()
            if isinstance(staged, trees.StagedTree):  # its files, for checkout and for gc
                prof = {**prof, "files": staged.listing}
            latest = _latest(ws.conn, name)
            if latest is not None and latest.hash == staged.oid:
                staged.discard()
                return AddResult(latest, unchanged=True, same_as=latest.ref)
            staged.commit()
            valid = None if violations is None else not violations
            with transaction(ws.conn) as conn:
                # Again inside the write: two adds of the same bytes at once (two watchers on
                # one folder) make one version, whoever commits first.
                latest = _latest(conn, name)
                if latest is not None and latest.hash == staged.oid:
                    return AddResult(latest, unchanged=True, same_as=latest.ref)
                held = holding(conn, name, staged.oid)
                if held is not None and once:
                    return AddResult(held, unchanged=True, same_as=held.ref)
                number = _record_added(
                    conn, ws.store, name, staged, fmt, schema, prof, message, path, valid, same_as=held
                )
        except BaseException:
            stager.abandon()
            raise
    return AddResult(
        resolve(ws, f"{name}@{number}"),
        unchanged=False,
        violations=violations,
        same_as=None if held is None else held.ref,
    )


class _Stager:
    """Copies a file (or a folder's files, `trees.Tree`) into the store on a background thread;
    `result()` joins it."""

    def __init__(self, ws: Workspace, path: Path | trees.Tree, progress: Callable[[int], None] | None):
        self._cancel = threading.Event()
        self._staged: StagedObject | trees.StagedTree | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(ws, path, progress), name="wb-stage", daemon=True
        )
        self._thread.start()

    def _run(self, ws: Workspace, path: Path | trees.Tree, progress: Callable[[int], None] | None) -> None:
        try:
            if isinstance(path, trees.Tree):
                self._staged = trees.stage(ws.store, path, progress, self._cancel)
            else:
                self._staged = ws.store.stage_file(path, progress=progress, cancel=self._cancel)
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc

    def result(self) -> StagedObject | trees.StagedTree:
        self._thread.join()
        if self._error is not None:
            if isinstance(self._error, OSError):
                raise InvalidInput(f"cannot store the file: {self._error}") from self._error
            raise self._error
        assert self._staged is not None
        return self._staged

    def abandon(self) -> None:
        """Stop the copy and remove its temp file (a committed object stays for gc)."""
        self._cancel.set()
        self._thread.join()
        if self._staged is not None:
            self._staged.discard()


def insert_version(
    conn: sqlite3.Connection,
    name: str,
    *,
    hash_algo: str,
    oid: str,
    fmt: str,
    size: int,
    schema: list,
    prof: dict,
    message: str,
    source_path: str | None,
    valid: bool | None,
    created_at: str | None = None,
) -> int:
    """Add the next version of dataset `name` (made if new) in the caller's transaction; the
    bytes are already in the store. Returns its number. `created_at` is when the version was
    first made (a pulled one keeps its origin's time); now when not given."""
    now = now_iso()
    dataset_id = id_for_name(conn, "datasets", name, now)
    number = next_version(conn, "dataset_versions", "dataset_id", dataset_id)
    conn.execute(
        """INSERT INTO dataset_versions (dataset_id, version, hash_algo, hash, format, size, rows,
               columns, schema, profile, message, source_path, valid, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            dataset_id,
            number,
            hash_algo,
            oid,
            fmt,
            size,
            prof["rows"],
            len(schema),
            json.dumps(schema),
            json.dumps(prof),
            message,
            source_path,
            valid,
            created_at or now,
        ),
    )
    return number


def _record_added(
    conn: sqlite3.Connection,
    store: ObjectStore,
    name: str,
    staged: StagedObject | trees.StagedTree,
    fmt: str,
    schema: list,
    prof: dict,
    message: str,
    path: Path,
    valid: bool | None,
    same_as: DatasetVersion | None = None,
) -> int:
    """A new version from a file just staged, with its record and its event in the audit log."""
    number = insert_version(
        conn,
        name,
        hash_algo=staged.store.algo,
        oid=staged.oid,
        fmt=fmt,
        size=staged.size,
        schema=schema,
        prof=prof,
        message=message,
        source_path=str(path.resolve()),
        valid=valid,
    )
    records.write(store, conn, record_of(_version(conn, name, number)))
    verdict = {None: "", True: "; valid", False: "; breaks its contract"}[valid]
    again = "" if same_as is None else f"; same bytes as {same_as.ref}"
    events.record(
        conn,
        "dataset.add",
        f"added {name}@{number} ({plural(prof['rows'], 'row')}) from {path.name}{again}{verdict}",
        subject=f"{name}@{number}",
        data={"hash": staged.oid, "rows": prof["rows"], "message": message, "valid": valid},
    )
    return number


def record_of(version: DatasetVersion) -> records.Record:
    """The version as a record object: what makes it the same version in any workspace (its
    number here and its last contract check are this workspace's, not the record's)."""
    data = {
        "name": version.name,
        "hash": version.hash,
        "hash_algo": version.hash_algo,
        "format": version.format,
        "size": version.size,
        "schema": version.schema,
        "profile": version.profile,
        "message": version.message,
    }
    parts = tuple(f["oid"] for f in trees.listed(version.profile))  # a folder's files
    return records.Record(
        records.DATASET_VERSION, record_key(version.name, version.hash), data, version.created_at, parts
    )


def record_key(name: str, oid: str) -> str:
    """A version's key in the record index: its dataset and its bytes, which decide its identity."""
    return f"{name}@{oid}"


def unrecorded(conn: sqlite3.Connection) -> list[DatasetVersion]:
    """Versions no record stands for (made before records, or imported from a bundle), oldest
    first: the first version of each dataset and bytes."""
    rows = conn.execute(
        _SELECT + " WHERE d.name || '@' || v.hash NOT IN "
        "(SELECT key FROM records WHERE kind = ?) ORDER BY v.created_at, v.id",
        (records.DATASET_VERSION,),
    ).fetchall()
    first: dict[str, DatasetVersion] = {}
    for row in rows:
        version = _from_row(row)
        first.setdefault(record_key(version.name, version.hash), version)
    return list(first.values())


def _version(conn: sqlite3.Connection, name: str, number: int) -> DatasetVersion:
    return _from_row(conn.execute(_SELECT + " WHERE d.name = ? AND v.version = ?", (name, number)).fetchone())


# -- reading --------------------------------------------------------------------------------
def holding(conn: sqlite3.Connection, name: str, oid: str) -> DatasetVersion | None:
    """The first version of `name` with these bytes."""
    row = conn.execute(
        _SELECT + " WHERE d.name = ? AND v.hash = ? ORDER BY v.version LIMIT 1", (name, oid)
    ).fetchone()
    return _from_row(row) if row else None


def _latest(conn: sqlite3.Connection, name: str) -> DatasetVersion | None:
    row = conn.execute(_SELECT + " WHERE d.name = ? ORDER BY v.version DESC LIMIT 1", (name,)).fetchone()
    return _from_row(row) if row else None


def resolve(ws: Workspace, ref: str) -> DatasetVersion:
    """The version a reference names; NotFound or Ambiguous otherwise."""
    name, selector = split_ref(ref)
    conn = ws.conn
    if not conn.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone():
        raise NotFound(_no_dataset(conn, name))
    if selector is None or selector == "latest":
        found = _latest(conn, name)
        if found is None:
            raise NotFound(f"dataset {name!r} has no versions")
        return found
    number = version_number(selector)
    if number is not None:
        row = conn.execute(_SELECT + " WHERE d.name = ? AND v.version = ?", (name, number)).fetchone()
        if row:
            return _from_row(row)
        if len(selector) < MIN_HASH_PREFIX:
            raise NotFound(f"dataset {name!r} has no version {selector}")
    elif not _reads_as_hash(selector):
        row = conn.execute(
            _SELECT + " JOIN dataset_aliases a ON a.dataset_id = v.dataset_id "
            "AND a.version = v.version WHERE d.name = ? AND a.alias = ?",
            (name, selector.lower()),
        ).fetchone()
        if row:
            return _from_row(row)
        if NAME_RE.fullmatch(selector) and _reads_as(selector) is None:
            raise NotFound(_no_alias(ws, name, selector))
    return _by_hash_prefix(conn, name, selector, ref)


def _no_dataset(conn: sqlite3.Connection, name: str) -> str:
    known = [r[0] for r in conn.execute("SELECT name FROM datasets ORDER BY name")]
    return (
        f"no dataset named {name!r}{did_you_mean(name, known, ' (', ')')}; `wb data list` shows the datasets"
    )


def _reads_as_hash(selector: str) -> bool:
    return len(selector) >= MIN_HASH_PREFIX and all(c in "0123456789abcdef" for c in selector.lower())


# -- aliases --------------------------------------------------------------------------------
def _reads_as(alias: str) -> str | None:
    """What else `NAME@alias` would read as (a version number, `latest`, a hash prefix), so
    that it cannot be an alias; None when nothing."""
    if alias.isdigit():
        return "it reads as a version number"
    if alias.lower() == "latest":
        return "it reads as the latest version"
    if _reads_as_hash(alias):
        return f"it reads as a hash prefix ({MIN_HASH_PREFIX} or more hex digits)"
    return None


def check_alias(name: str, alias: str) -> str:
    """`alias`, lowercased (`Reference` is reference, as with model aliases), if it can be an
    alias of dataset `name`; InvalidInput in one sentence otherwise."""
    check_name(alias, "alias")
    why = _reads_as(alias)
    if why is not None:
        raise InvalidInput(f"{alias!r} cannot be an alias of {name}: {why}")
    return alias.lower()


@dataclass(frozen=True)
class Tagging:
    """What `tag` did: `before` is the version the alias pointed at (None: a new alias);
    `before == version.version` when it was already there (nothing changed)."""

    alias: str
    version: DatasetVersion
    before: int | None

    @property
    def unchanged(self) -> bool:
        return self.before == self.version.version

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.version.name,
            "alias": self.alias,
            "version": self.version.version,
            "previous": self.before,
            "changed": not self.unchanged,
        }


@dataclass(frozen=True)
class Untagging:
    """What `untag` did: the alias it removed and the version that alias pointed at (which stays)."""

    alias: str
    version: DatasetVersion

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.version.name,
            "alias": self.alias,
            "version": self.version.version,
            "removed": True,
        }


def tag(ws: Workspace, ref: str, alias: str) -> Tagging:
    """Point `NAME@ALIAS` at the version `ref` names (moving it if it points elsewhere)."""
    found = resolve(ws, ref)
    alias = check_alias(found.name, alias)
    with transaction(ws.conn) as conn:
        dataset_id = conn.execute("SELECT id FROM datasets WHERE name = ?", (found.name,)).fetchone()[0]
        row = conn.execute(
            "SELECT version FROM dataset_aliases WHERE dataset_id = ? AND alias = ?", (dataset_id, alias)
        ).fetchone()
        before = None if row is None else row[0]
        if before == found.version:
            return Tagging(alias, found, before)
        conn.execute(
            "INSERT INTO dataset_aliases (dataset_id, alias, version, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (dataset_id, alias) DO UPDATE SET "
            "version = excluded.version, updated_at = excluded.updated_at",
            (dataset_id, alias, found.version, now_iso()),
        )
        was = "" if before is None else f" (was @{before})"
        events.record(
            conn,
            "dataset.tag",
            f"tagged {found.ref} as {found.name}@{alias}{was}",
            subject=found.ref,
            data={"alias": alias, "version": found.version, "previous": before},
        )
    return Tagging(alias, resolve(ws, found.ref), before)


def untag(ws: Workspace, name: str, alias: str) -> Untagging:
    """Remove `NAME@ALIAS`; the version it pointed at stays."""
    log(ws, name)  # an unknown dataset: that error first
    alias = alias.lower()
    with transaction(ws.conn) as conn:
        dataset_id = conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()[0]
        row = conn.execute(
            "SELECT version FROM dataset_aliases WHERE dataset_id = ? AND alias = ?", (dataset_id, alias)
        ).fetchone()
        if row is None:
            raise NotFound(_no_alias(ws, name, alias))
        conn.execute("DELETE FROM dataset_aliases WHERE dataset_id = ? AND alias = ?", (dataset_id, alias))
        events.record(
            conn,
            "dataset.untag",
            f"removed the alias {name}@{alias} (was @{row[0]})",
            subject=f"{name}@{row[0]}",
            data={"alias": alias, "version": row[0]},
        )
    return Untagging(alias, resolve(ws, f"{name}@{row[0]}"))


def _no_alias(ws: Workspace, name: str, alias: str) -> str:
    known = aliases(ws, name)
    return f"dataset {name!r} has no alias {alias!r}" + (
        f" (its aliases: {', '.join(known)})" if known else "; `wb data tag REF ALIAS` makes one"
    )


def aliases(ws: Workspace, name: str) -> list[str]:
    """The aliases of a dataset, sorted."""
    return [
        r[0]
        for r in ws.conn.execute(
            "SELECT a.alias FROM dataset_aliases a JOIN datasets d ON d.id = a.dataset_id "
            "WHERE d.name = ? ORDER BY a.alias",
            (name,),
        )
    ]


def alias_target(ws: Workspace, name: str, alias: str) -> DatasetVersion | None:
    """The version `NAME@ALIAS` names, or None when the dataset has no such alias."""
    try:
        found = resolve(ws, f"{name}@{alias}")
    except (NotFound, InvalidInput):
        return None
    return found if alias.lower() in found.tags else None


def reference_for(ws: Workspace, version: DatasetVersion) -> str | None:
    """What a new version is drift-checked against by default: NAME@reference when that alias
    exists (and is not the version itself), else the version before; None for a first one."""
    pinned = alias_target(ws, version.name, REFERENCE_ALIAS)
    if pinned is not None and pinned.version != version.version:
        return f"{version.name}@{REFERENCE_ALIAS}"
    return f"{version.name}@{version.version - 1}" if version.version > 1 else None


def label(ws: Workspace, ref: str) -> str:
    """A reference as a user reads it: `sales@1 (sales@reference)` for an alias, else the
    version's own reference."""
    found = resolve(ws, ref)
    name, selector = split_ref(ref)
    if selector is not None and selector.lower() in found.tags:
        return f"{found.ref} ({name}@{selector.lower()})"
    return found.ref


def _by_hash_prefix(conn: sqlite3.Connection, name: str, prefix: str, ref: str) -> DatasetVersion:
    prefix = prefix.lower()
    if len(prefix) < MIN_HASH_PREFIX or not all(c in "0123456789abcdef" for c in prefix):
        raise InvalidInput(
            f"{ref!r} is not a dataset reference: after '@' put a version number, 'latest', "
            f"an alias or at least {MIN_HASH_PREFIX} hex digits of the hash"
        )
    rows = conn.execute(
        _SELECT + " WHERE d.name = ? AND v.hash >= ? AND v.hash < ? ORDER BY v.version",
        (name, prefix, prefix + "g"),
    ).fetchall()
    # Versions that re-added the same bytes share a hash: that is one thing, not an ambiguity.
    hashes = {r["hash"] for r in rows}
    if not rows:
        raise NotFound(f"no version of {name!r} has a hash starting with {prefix}")
    if len(hashes) > 1:
        raise Ambiguous(f"{ref!r} matches {len(hashes)} versions of {name!r}; give more of the hash")
    return _from_row(rows[-1])


def log(ws: Workspace, name: str) -> list[DatasetVersion]:
    """Every version of a dataset, oldest first."""
    rows = ws.conn.execute(_SELECT + " WHERE d.name = ? ORDER BY v.version", (name,)).fetchall()
    if not rows:
        raise NotFound(_no_dataset(ws.conn, name))
    return [_from_row(r) for r in rows]


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset as `wb data list` shows it: how many versions, and its latest."""

    name: str
    versions: int
    latest: int  # the latest version's number
    rows: int  # the latest version's rows
    updated_at: str  # when the latest version was added

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb data list --json` fields."""
        return {
            "name": self.name,
            "versions": self.versions,
            "latest": self.latest,
            "rows": self.rows,
            "updated_at": self.updated_at,
        }


def list_datasets(ws: Workspace) -> list[DatasetSummary]:
    """One entry per dataset, by name."""
    rows = ws.conn.execute(
        """SELECT d.name, COUNT(*) AS versions, MAX(v.version) AS latest,
                  (SELECT rows FROM dataset_versions WHERE dataset_id = d.id
                   ORDER BY version DESC LIMIT 1) AS rows,
                  MAX(v.created_at) AS updated_at
           FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id
           GROUP BY d.id ORDER BY d.name"""
    ).fetchall()
    return [DatasetSummary(**dict(r)) for r in rows]


def record_validation(ws: Workspace, version: DatasetVersion, violations: list) -> None:
    """Remember the latest contract check of a version (`valid` in `wb data log`)."""
    with transaction(ws.conn) as conn:
        conn.execute(
            "UPDATE dataset_versions SET valid = ? WHERE hash = ? AND version = ? AND "
            "dataset_id = (SELECT id FROM datasets WHERE name = ?)",
            (not violations, version.hash, version.version, version.name),
        )
        events.record(
            conn,
            "dataset.validate",
            f"validated {version.ref}: " + (f"{len(violations)} violations" if violations else "passed"),
            subject=version.ref,
            data={"violations": len(violations)},
        )


def load(ws: Workspace, version: DatasetVersion) -> Any:
    """The version's data as a polars DataFrame, from bytes verified against its hash."""
    from . import tabular

    data = ws.store.read_verified(version.hash)  # a folder's manifest: verified all the same
    if version.format == trees.FORMAT:
        return trees.read(trees.of_store(version.ref, trees.listed(version.profile), ws.store.read_verified))
    return tabular.read_stored(data, version.format)


def load_ref_or_file(ws: Workspace, target: str) -> tuple[str, Any, DatasetVersion | None]:
    """(label, frame, version or None) for a dataset reference, a data file's path or a folder
    of Parquet files."""
    from . import tabular

    path = Path(target)
    tree = trees.named(path)
    if tree is not None:
        return str(path), trees.read(tree), None
    if path.is_file():
        tabular.check_readable(path)
        return str(path), tabular.read_table(path, tabular.detect_format(path)), None
    try:
        version = resolve(ws, target)
    except (NotFound, InvalidInput):
        if "/" in target or path.suffix.lower() in tabular.FORMATS:
            raise InvalidInput(f"{target} does not exist") from None
        raise
    return version.ref, load(ws, version), version


@dataclass(frozen=True)
class DatasetDiff:
    """`wb data diff`: what changed from version `a` to version `b` (see profile_diff for the
    shape of each part)."""

    a: str  # the two versions' refs
    b: str
    same_bytes: bool
    rows: dict[str, int]  # a, b and delta
    added: list[dict[str, str]]  # columns: name, dtype
    removed: list[dict[str, str]]
    retyped: list[dict[str, str]]  # name, from, to
    shifts: list[dict[str, Any]]  # per column, each statistic's a and b

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "same_bytes": self.same_bytes,
            "rows": self.rows,
            "added": self.added,
            "removed": self.removed,
            "retyped": self.retyped,
            "shifts": self.shifts,
        }


def diff(ws: Workspace, ref_a: str, ref_b: str) -> DatasetDiff:
    a, b = resolve(ws, ref_a), resolve(ws, ref_b)
    return DatasetDiff(a.ref, b.ref, a.hash == b.hash, **profile_diff.diff(a.profile, b.profile))


def checkout(
    ws: Workspace, ref: str, dest: Path | None = None, force: bool = False
) -> tuple[DatasetVersion, Path]:
    """Write a version's exact bytes to `dest` (default: NAME@N.EXT here), verified first; a
    folder's version (`trees`) is written back as that folder (default: NAME@N)."""
    found = resolve(ws, ref)
    if found.format == trees.FORMAT:
        return found, _checkout_tree(ws, found, dest or Path(found.ref), force)
    if dest is None:
        dest = Path(f"{found.name}@{found.version}.{found.format}")
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder; give a file path with -o")
    if dest.exists() and not force:
        raise InvalidInput(f"{dest} already exists; pass --force to overwrite it")
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    ws.store.copy_verified(found.hash, dest)
    return found, dest


def _checkout_tree(ws: Workspace, version: DatasetVersion, dest: Path, force: bool) -> Path:
    if dest.exists() and not (force and dest.is_dir()):
        raise InvalidInput(
            f"{dest} already exists; pass --force to write into it"
            if dest.is_dir()
            else f"{dest} is a file; give a folder path with -o"
        )
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    ws.store.read_verified(version.hash)  # the manifest, as a whole version's bytes are
    for f in trees.listed(version.profile):
        target = dest / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        ws.store.copy_verified(f["oid"], target)
    return dest


def format_note(version: DatasetVersion, dest: Path) -> str | None:
    """What to tell a user whose checkout file's extension names another format than the
    bytes it got (checkout writes the exact bytes; it never converts)."""
    from . import tabular

    named = tabular.FORMATS.get(dest.suffix.lower())
    if named is None or named == version.format or dest.is_dir():  # a folder's version is a folder
        return None
    have = tabular.FORMAT_NAMES.get(version.format, version.format)
    return (
        f"{dest.name} holds {version.ref}'s {have} bytes as stored, not "
        f"{tabular.FORMAT_NAMES[named]}: checkout writes the exact bytes and converts "
        f"nothing (name it .{version.format})"
    )
