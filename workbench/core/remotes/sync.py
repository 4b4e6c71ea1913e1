"""`wb push` and `wb pull`: a remote is a set of objects; these copy what one side lacks, then
(pull) index the records that arrived.

Push uploads the objects of every dataset version, model and run artifact and every record's
parts (a run's metric history, a drift report's JSON), then the records (dataset versions,
contracts, model versions, alias moves, ended runs, drift reports), so a remote never shows a
record before what it needs. Pull downloads what this workspace lacks, verified, and only then
indexes the records in one transaction: an interrupted pull leaves objects nobody refers to yet
(gc's, or the next pull's), never half a record.
Content decides identity: a dataset version whose bytes this dataset already holds is not added
again, nor a model version whose artifact is already a version of that model here; a new one gets
this workspace's next number. A model version carries what it needs to be scored and shown (its
artifact, meta, schema, metrics, dataset, lineage); its run travels as its own record. A run or a
drift report is the same one everywhere by its id: one this workspace holds is left as it is. A
pull never overwrites, renumbers or deletes a local record.

A contract travels as the history of its records. A pull takes the remote's latest contract
for a dataset that has none here, or whose contract here the remote already holds (the remote
moved on, this side did not); it keeps the local one when this side set it after it had the
remote's. When each side set another since they last met, the local one stays and the pull
reports a conflict (exit 1), again on every pull until a new `wb data contract set` settles it.

Alias moves are append-only events naming versions by their artifacts' hashes (numbers differ
between workspaces). A pull appends the remote's moves this workspace lacks, translated to local
numbers, and the alias is then what the latest move (by time) of the merged history made it. When
both sides moved the same alias since they last agreed (each has moves the other lacks), the pull
keeps the local alias and history, reports a conflict (exit 1), and again on every pull until a
move made here after it had the remote's (`wb model promote`, through the gates) settles it; that
pull appends the remote's moves, the settling one stays the latest.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import events
from ..data import contracts, datasets
from ..errors import IntegrityError, NotFound
from ..experiments import run_records, runs
from ..models import registry
from ..monitoring import report_records
from ..names import plural, short_id
from ..storage import hashing, records
from ..storage.backend import Progress, StoreBackend
from ..storage.db import transaction
from ..storage.records import Record
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import settings, state
from .connect import open_backend, reaching
from .settings import Remote
from .transfer import copy_missing, present

if TYPE_CHECKING:
    from .fsspec_backend import FsspecBackend


# A temp on the remote older than this is a dead push's: a live one writes and moves an
# object within minutes, even a large one.
STALE_TEMP_S = 3600.0


@dataclass(frozen=True)
class Conflict:
    """A record both sides changed since they last met: the local one is kept."""

    kind: str  # what differs: "contract", "alias"
    name: str  # whose: the dataset, or the alias (`demand@production`)
    local: str  # the two contract records' short ids, or the two versions (`demand@3`)
    remote: str

    @property
    def settle(self) -> str:
        """How a user settles it."""
        if self.kind == "alias":
            alias = self.name.split("@", 1)[1]
            return f"promote one of them through the gates: `wb model promote {self.remote} --to {alias}`"
        return f"set the other with `wb data contract set {self.name} FILE`"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "local": self.local, "remote": self.remote}


@dataclass(frozen=True)
class SyncResult:
    """What a push or a pull did (or, with --dry-run, would do)."""

    remote: str  # the remote's name
    objects: int  # objects copied, records among them
    bytes: int  # their bytes
    records: int  # records the other side lacked: uploaded (push), indexed here (pull)
    skipped: int  # objects the other side already had
    conflicts: tuple[Conflict, ...] = ()
    dry_run: bool = False
    added: tuple[str, ...] = ()  # pull: the versions it made here (`sales@3`, `demand@2`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "objects": self.objects,
            "bytes": self.bytes,
            "records": self.records,
            "skipped": self.skipped,
            "conflicts": [c.to_dict() for c in self.conflicts],
        }


# -- push -------------------------------------------------------------------------------------
def push(
    ws: Workspace, name: str | None = None, dry_run: bool = False, progress: Progress | None = None
) -> SyncResult:
    """Upload to the remote every dataset version's and model artifact's object and every record
    it lacks."""
    remote = settings.get(ws, name)
    unstored: dict[str, bytes] | None = {} if dry_run else None  # what a dry run would store
    pending = _unrecorded(ws, unstored)
    if pending and not dry_run:
        with ws.writing_objects(), transaction(ws.conn) as conn:
            for record in pending:
                records.write(ws.store, conn, record)
    record_oids = records.indexed(ws.conn) | {r.oid for r in pending}
    data_oids = _data_oids(ws.conn) | {part for r in pending for part in r.parts}
    everything = len(data_oids | record_oids)
    if dry_run:
        sizes = {oid: _local_size(ws, oid, pending, unstored or {}) for oid in data_oids | record_oids}
        return _would_copy(remote, sizes, present(open_backend(remote), set(sizes)), record_oids)
    where = f"this workspace ({ws.root})"
    began = now_iso()
    backend = open_backend(remote)
    with reaching(remote):
        identity = backend.identity()
    known = state.in_step_since(ws, remote, identity)
    there: set[str] | None = None  # what the remote holds, when listed whole
    if known is not None:  # the remote held all that was here then: look there only for what came since
        since, to_pull = known
        new = records.named_since(ws.conn, since)
        data_oids, record_oids = data_oids & new, record_oids & new
        if not data_oids | record_oids:  # as git's "Everything up-to-date": nothing listed
            return SyncResult(remote.name, 0, 0, 0, everything)
    backend.sweep_temps(older_than=time.time() - STALE_TEMP_S)  # a killed push's leftovers
    if known is None:  # one listing of everything: what to send, and what there is to pull
        there = {entry.name for entry in backend.list()}
        to_pull = len(there - set(ws.store.oids()))
    # Data first, records last: a record on the remote always finds what it names there.
    data = copy_missing(ws.objects, backend, data_oids, source_name=where, progress=progress, at_dest=there)
    sent = copy_missing(ws.objects, backend, record_oids, source_name=where, progress=progress, at_dest=there)
    if identity is None:  # its first push (or the first since it was emptied)
        with reaching(remote):
            identity = backend.give_identity()
    state.save(ws, remote, to_push=0, to_pull=to_pull, identity=identity, at=began)
    return SyncResult(
        remote.name,
        data.objects + sent.objects,
        data.bytes + sent.bytes,
        sent.objects,
        everything - data.objects - sent.objects,
    )


def _unrecorded(ws: Workspace, unstored: dict[str, bytes] | None = None) -> list[Record]:
    """Records not yet written for what the database holds (made before records, or imported);
    the parts they need are stored, or with `unstored` kept there."""
    conn = ws.conn
    known = records.indexed(conn)
    return (
        [datasets.record_of(v) for v in datasets.unrecorded(conn)]
        + [contracts.record_of(conn, d) for d in contracts.unrecorded(conn)]
        + registry.unrecorded_versions(ws)
        + [r for r in registry.alias_records(conn) if r.oid not in known]
        + run_records.unrecorded(ws.store, conn, unstored)
        + report_records.unrecorded(conn)
    )


def _data_oids(conn: sqlite3.Connection) -> set[str]:
    """The objects records name: dataset versions' bytes, model and run artifacts, and the
    records' parts."""
    rows = conn.execute(
        "SELECT hash FROM dataset_versions UNION SELECT artifact_hash FROM model_versions "
        "UNION SELECT hash FROM artifacts UNION SELECT part FROM record_parts"
    ).fetchall()
    return {row[0] for row in rows}


def _local_size(ws: Workspace, oid: str, pending: list[Record], unstored: dict[str, bytes]) -> int:
    if oid in unstored:
        return len(unstored[oid])
    for record in pending:
        if record.oid == oid:
            return len(record.encode())
    return ws.store.size(oid)


# -- pull -------------------------------------------------------------------------------------
def pull(
    ws: Workspace, name: str | None = None, dry_run: bool = False, progress: Progress | None = None
) -> SyncResult:
    """Download what this workspace lacks, verified, then index the records that came with it."""
    remote = settings.get(ws, name)
    backend = open_backend(remote)
    if not remote.is_s3 and not _folder_exists(backend):
        raise NotFound(f"remote {remote.name!r}: the folder {remote.url} does not exist")
    sizes = {entry.name: entry.size for entry in backend.list()}
    source = f"remote {remote.name!r} ({remote.url})"
    if dry_run:
        here = present(ws.objects, set(sizes))
        found = records_among(ws, sizes, backend, source)
        plan = _plan(ws, found, set(sizes))
        moved = [oid for oid in sizes if oid not in here]
        return SyncResult(
            remote.name,
            len(moved),
            sum(sizes[o] for o in moved),
            len(plan.new_records),
            len(here),
            plan.conflicts,
            dry_run=True,
        )
    with ws.writing_objects():
        got = copy_missing(backend, ws.objects, sizes, source_name=source, progress=progress)
        found = records_among(ws, sizes, backend, source)
        with transaction(ws.conn) as conn:  # decided inside the write: two pulls add a version once
            plan, added = index_found(ws, conn, found, set(sizes), Origin.remote(remote.name))
        with reaching(remote):
            identity = backend.identity()
        state.save(ws, remote, len(records.indexed(ws.conn) - sizes.keys()), to_pull=0, identity=identity)
    return SyncResult(
        remote.name, got.objects, got.bytes, len(plan.new_records), got.skipped, plan.conflicts, added=added
    )


def _folder_exists(backend: FsspecBackend) -> bool:
    return bool(backend.fs.exists(backend.root.rsplit("/", 1)[0]))


def records_among(
    ws: Workspace,
    oids: Iterable[str],
    remote: StoreBackend,
    source: str,
    damaged: list[str] | None = None,
) -> list[tuple[str, Record]]:
    """The records among `oids` not yet indexed here, oldest first, read from here when they are
    here, else (a dry run) from the remote. Objects this workspace knows as data are not opened;
    the rest are told apart by their first bytes, so a data file is never read whole. A damaged
    record is refused, unless `damaged` collects it (and it is passed over)."""
    known = records.indexed(ws.conn) | _data_oids(ws.conn)
    found: list[tuple[str, Record]] = []
    for oid in set(oids) - known:
        here = ws.store.exists(oid)
        with ws.store.open(oid) if here else remote.open(oid) as stream:
            head = stream.read(len(records.MAGIC))
            if not records.is_record(head):
                continue
            data = head + stream.read()
        if (actual := hashing.hash_bytes(data)) != oid:
            if damaged is not None:
                damaged.append(oid)
                continue
            where = "this workspace" if here else source
            raise IntegrityError(
                f"object {short_id(oid)} in {where} is damaged (its bytes hash to {short_id(actual)}): "
                "refused, nothing was indexed"
            )
        record = records.decode(data)
        if record is not None and record.kind in records.KINDS:
            found.append((oid, record))
    return sorted(found, key=lambda f: (f[1].created_at, f[0]))


@dataclass(frozen=True)
class _Plan:
    """What indexing the records found will do, decided before anything is written."""

    new_records: list[tuple[str, Record]]  # every record to index
    versions: list[Record]  # dataset version records that make a version here
    contracts: list[Record]  # contract records to set as their dataset's contract
    models: list[Record]  # model version records that make a version here
    moves: list[Record]  # alias moves to append to the history here, oldest first
    runs: list[Record]  # run records that make a run here (the newest of each run)
    reports: list[Record]  # drift report records that make a report here
    conflicts: tuple[Conflict, ...]


def _plan(ws: Workspace, found: list[tuple[str, Record]], remote_oids: set[str]) -> _Plan:
    conn = ws.conn
    removed = records.keys(conn, records.RUN_REMOVED)
    removed |= {r.key for _, r in found if r.kind == records.RUN_REMOVED}  # `wb runs rm`, here or there
    found = [(oid, r) for oid, r in found if not (r.kind == records.RUN and r.key in removed)]
    versions: list[Record] = []
    seen: set[str] = set()
    for _, record in found:
        if record.kind != records.DATASET_VERSION:
            continue
        name, digest = record.data["name"], record.data["hash"]
        if record.key in seen or datasets.holding(conn, name, digest) is not None:
            continue  # these bytes are already a version of this dataset here
        seen.add(record.key)
        if digest not in remote_oids and not ws.store.exists(digest):
            raise NotFound(
                f"the remote's record of {name} names object {short_id(digest)}, which the "
                "remote does not hold: nothing was indexed"
            )
        versions.append(record)
    pulled = {oid: r for oid, r in found if r.kind == records.CONTRACT}
    to_set, conflicts = [], []
    for dataset, oid in sorted(_latest_contracts(conn, pulled, remote_oids).items()):
        theirs = pulled.get(oid) or _decoded(ws, oid)
        verdict = _contract_verdict(conn, theirs, oid, remote_oids)
        if verdict == "take":
            to_set.append(theirs)
        elif verdict == "conflict":
            local = contracts.record_of(conn, dataset).oid
            conflicts.append(Conflict("contract", dataset, short_id(local), short_id(oid)))
    models = _new_models(ws, found, remote_oids)
    moves, alias_conflicts = _merge_moves(ws, found, remote_oids, models)
    new_runs = _new_by_id(ws, found, remote_oids, records.RUN, lambda key: runs.exists(conn, key))
    reports = _new_by_id(
        ws, found, remote_oids, records.DRIFT_REPORT, lambda key: report_records.exists(conn, key)
    )
    return _Plan(found, versions, to_set, models, moves, new_runs, reports, (*conflicts, *alias_conflicts))


def _new_by_id(
    ws: Workspace,
    found: list[tuple[str, Record]],
    remote_oids: set[str],
    kind: str,
    held: Callable[[str], bool],
) -> list[Record]:
    """The newest record of each `kind` key (a run, a report: the same everywhere by its id)
    this workspace does not hold; every part it names must be at hand."""
    newest: dict[str, Record] = {}
    for _, record in found:  # oldest first: a later record of the same key replaces an earlier
        if record.kind == kind and not held(record.key):
            newest[record.key] = record
    for record in newest.values():
        lacking = [p for p in record.parts if p not in remote_oids and not ws.store.exists(p)]
        if lacking:
            raise NotFound(
                f"the remote's record of {kind.replace('_', ' ')} {short_id(record.key)} names object "
                f"{short_id(lacking[0])}, which the remote does not hold: nothing was indexed"
            )
    return list(newest.values())


def _new_models(ws: Workspace, found: list[tuple[str, Record]], remote_oids: set[str]) -> list[Record]:
    """The model version records that make a version here: their artifact is not yet a version
    of that model."""
    new: list[Record] = []
    for _, record in found:
        if record.kind != records.MODEL_VERSION:
            continue
        name, digest = record.data["name"], record.data["artifact_hash"]
        if record.key in {r.key for r in new} or digest in registry.numbers_by_artifact(ws.conn, name):
            continue
        if digest not in remote_oids and not ws.store.exists(digest):
            raise NotFound(
                f"the remote's record of model {name} names artifact {short_id(digest)}, which the "
                "remote does not hold: nothing was indexed"
            )
        new.append(record)
    return new


def _numbers(conn: sqlite3.Connection, name: str, new: list[Record]) -> dict[str, int]:
    """Artifact hash -> version number here of model `name`, counting the versions `new` will add."""
    numbers = registry.numbers_by_artifact(conn, name)
    after = max(numbers.values(), default=0)
    for record in new:
        if record.data["name"] == name:
            after += 1
            numbers.setdefault(record.data["artifact_hash"], after)
    return numbers


def _merge_moves(
    ws: Workspace, found: list[tuple[str, Record]], remote_oids: set[str], new_models: list[Record]
) -> tuple[list[Record], list[Conflict]]:
    """The remote's alias moves to append here, and the aliases both sides moved since they
    last agreed (the rule is in this module's docstring)."""
    conn = ws.conn
    theirs_all = {oid: r for oid, r in found if r.kind == records.ALIAS_EVENT}
    for ix in records.of_kind(conn, records.ALIAS_EVENT):
        if ix.oid in remote_oids and ix.oid not in theirs_all:
            theirs_all[ix.oid] = _decoded(ws, ix.oid)
    mine_all = {r.oid: r for r in registry.alias_records(conn)}
    moves: list[Record] = []
    conflicts: list[Conflict] = []
    for key in sorted({r.key for r in theirs_all.values()}):
        theirs = {oid: r for oid, r in theirs_all.items() if r.key == key and oid not in mine_all}
        if not theirs:
            continue
        mine = [r for oid, r in mine_all.items() if r.key == key and oid not in remote_oids]
        if mine and not _settled(conn, mine, theirs):
            name, alias = key.split("@", 1)
            latest = max((r for r in theirs_all.values() if r.key == key), key=lambda r: r.created_at)
            there = _numbers(conn, name, new_models).get(latest.data["to"] or "")
            local = registry.alias_target(ws, name, alias)
            conflicts.append(Conflict("alias", key, f"{name}@{local or 'none'}", f"{name}@{there or 'none'}"))
            continue
        moves.extend(theirs.values())
    for record in moves:
        wanted = {record.data["from"], record.data["to"]} - {None}
        if not wanted <= _numbers(conn, record.data["name"], new_models).keys():
            raise NotFound(
                f"the remote's move of {record.key} names a version neither side holds: nothing was indexed"
            )
    return sorted(moves, key=lambda r: (r.created_at, r.oid)), conflicts


def _settled(conn: sqlite3.Connection, mine: list[Record], theirs: dict[str, Record]) -> bool:
    """Whether this side moved the alias after it had every one of the remote's moves."""
    had = [records.indexed_at(conn, oid) for oid in theirs]
    return all(had) and max(r.created_at for r in mine) >= max(h for h in had if h)


def _latest_contracts(
    conn: sqlite3.Connection, pulled: dict[str, Record], remote_oids: set[str]
) -> dict[str, str]:
    """Dataset -> the id of the latest contract record the remote holds for it."""
    on_remote = {r.oid: (r.key, r.created_at) for r in records.of_kind(conn, records.CONTRACT)}
    on_remote = {oid: at for oid, at in on_remote.items() if oid in remote_oids}
    on_remote.update({oid: (r.key, r.created_at) for oid, r in pulled.items()})
    latest: dict[str, tuple[str, str]] = {}
    for oid, (dataset, created_at) in on_remote.items():
        latest[dataset] = max(latest.get(dataset, (created_at, oid)), (created_at, oid))
    return {dataset: oid for dataset, (_, oid) in latest.items()}


def _contract_verdict(conn: sqlite3.Connection, theirs: Record, oid: str, remote_oids: set[str]) -> str:
    """ "take" the remote's latest contract, "keep" the local one, or "conflict" when each side
    set another since they last met."""
    row = conn.execute("SELECT text, set_at FROM contracts WHERE dataset = ?", (theirs.key,)).fetchone()
    if row is None:
        return "take"
    mine, set_at = row
    if mine == theirs.data["text"]:
        return "keep"
    had = records.indexed_at(conn, oid)
    if had is not None and had <= set_at:
        return "keep"  # this side had theirs, and set its own after
    if contracts.record_of(conn, theirs.key).oid in remote_oids:
        return "take"  # the remote had ours, and moved on from it
    return "conflict"


def _decoded(ws: Workspace, oid: str) -> Record:
    record = records.decode(ws.store.read_verified(oid))
    assert record is not None  # indexed as a record: it is one
    return record


@dataclass(frozen=True)
class Origin:
    """Where indexed records come from, as the audit log says it."""

    name: str  # "remote origin", "the store"
    verb: str  # what was done to a version or run: "pulled", "rebuilt"
    move_verb: str  # what was done to an alias move: "merged", "restored"
    event: str  # the events' kind: `dataset.pull`, `model.rebuild_move`
    data: dict[str, Any]  # what each event's data names it by
    original_times: bool = False  # the merged moves' events keep their own time and user

    @classmethod
    def remote(cls, name: str) -> Origin:
        return cls(f"remote {name}", "pulled", "merged", "pull", {"remote": name})


def index_found(
    ws: Workspace,
    conn: sqlite3.Connection,
    found: list[tuple[str, Record]],
    present: set[str],
    origin: Origin,
) -> tuple[_Plan, tuple[str, ...]]:
    """Index records found (oldest first; `present` is what the side they came from holds)
    and make what they stand for here, in the caller's transaction: what pull does, and `wb
    fsck --rebuild` into an empty database. Returns the plan and the versions made."""
    plan = _plan(ws, found, present)
    return plan, _apply(ws, conn, plan, origin)


def _apply(ws: Workspace, conn: sqlite3.Connection, plan: _Plan, origin: Origin) -> tuple[str, ...]:
    """Index the plan's records and make what they stand for, in the caller's transaction."""
    added = []
    records.index(conn, plan.new_records)
    for record in plan.versions:
        d = record.data
        number = datasets.insert_version(
            conn,
            d["name"],
            hash_algo=d["hash_algo"],
            oid=d["hash"],
            fmt=d["format"],
            size=d["size"],
            schema=d["schema"],
            prof=d["profile"],
            message=d["message"],
            source_path=None,
            valid=None,  # not checked here until `wb data validate` (as an imported bundle's)
            created_at=record.created_at,
        )
        ref = f"{d['name']}@{number}"
        events.record(
            conn,
            f"dataset.{origin.event}",
            f"{origin.verb} {ref} ({plural(d['profile']['rows'], 'row')}) from {origin.name}",
            subject=ref,
            data={"hash": d["hash"], **origin.data},
        )
        added.append(ref)
    for record in plan.runs:  # after the versions: a run's inputs are numbered as they are here
        run_records.insert(ws.store, conn, record)
    for record in plan.reports:
        report_records.insert(conn, record.data)
    if plan.runs or plan.reports:
        made = [plural(len(plan.runs), "run")] * bool(plan.runs) + [
            plural(len(plan.reports), "drift report")
        ] * bool(plan.reports)
        events.record(
            conn,
            f"records.{origin.event}",
            f"{origin.verb} {' and '.join(made)} from {origin.name}",
            data={"runs": len(plan.runs), "drift_reports": len(plan.reports), **origin.data},
        )
    for record in plan.contracts:
        contracts.write(conn, record.key, record.data["text"], origin.name, set_at=record.created_at)
    for record in plan.models:
        m = record.data
        number = registry.insert_version(
            conn,
            m["name"],
            m["run_id"],
            m["artifact_hash"],
            m["artifact_meta"],
            m["schema"],
            m["metrics"],
            m["description"],
            created_at=record.created_at,
        )
        ref = f"{m['name']}@{number}"
        events.record(
            conn,
            f"model.{origin.event}",
            f"{origin.verb} {ref} from {origin.name}",
            subject=ref,
            data={"hash": m["artifact_hash"], **origin.data},
        )
        added.append(ref)
    for record in plan.moves:
        numbers = registry.numbers_by_artifact(conn, record.data["name"])
        registry.insert_pulled_move(conn, record, numbers)
        to = "removed" if record.data["to"] is None else f"to @{numbers[record.data['to']]}"
        events.record(
            conn,
            f"model.{origin.event}_move",
            f"{origin.move_verb} a {record.data['action']} of {record.key} ({to}) from {origin.name}",
            subject=record.key,
            data={**origin.data, "at": record.created_at},
            **({"at": record.created_at, "user": record.data["user"]} if origin.original_times else {}),
        )
    return tuple(added)


def _would_copy(remote: Remote, sizes: dict[str, int], there: set[str], record_oids: set[str]) -> SyncResult:
    moved = [oid for oid in sizes if oid not in there]
    return SyncResult(
        remote.name,
        len(moved),
        sum(sizes[o] for o in moved),
        len(set(moved) & record_oids),
        len(there),
        dry_run=True,
    )
