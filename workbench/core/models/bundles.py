"""Air-gap bundles: `wb model export MODELREF -o FILE` and `wb import FILE`.

A bundle is one tar file: `manifest.json` (the model version, its run's record and lineage,
optionally the training dataset version, and the hash and size of every object) followed by
`objects/<hash>` for each object. Import trusts nothing in it: every member must be a regular
file named in the manifest, with no absolute path, `..` or link; every object is hashed as it
is read and must match; and nothing is written to the workspace until the whole bundle has
checked out: objects are staged, then committed with all the rows in one transaction, each
table's rows written by the module that owns it (runs, datasets, contracts, the registry).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import re
import sqlite3
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from .. import events
from ..data import contracts, datasets, trees
from ..errors import IntegrityError, InvalidInput, NotFound
from ..experiments import runs
from ..experiments.records import RunArtifact, RunInput
from ..names import check_name
from ..storage import hashing
from ..storage.db import transaction
from ..storage.store import StagedObject
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import bundle_manifest, model_io, registry

FORMAT = "wb-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
OBJECT_NAME = re.compile(r"objects/([0-9a-f]{64})")


# -- export ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    """A bundle written: `wb model export --json`."""

    model: str  # the version exported, NAME@VERSION
    file: Path  # the bundle
    objects: int  # how many objects it carries (model, artifacts, perhaps the dataset)
    with_data: bool  # it carries the training dataset version's bytes
    with_contract: bool  # it carries the training dataset's contract

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "file": str(self.file),
            "objects": self.objects,
            "with_data": self.with_data,
            "with_contract": self.with_contract,
        }


def export(ws: Workspace, ref: str, dest: Path, with_data: bool = False) -> ExportResult:
    mv = registry.resolve(ws, ref)
    if dest.exists():
        raise InvalidInput(f"{dest} already exists")
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    run = runs.get(ws, mv.run_id)
    history = runs.get_metric_rows(ws.conn, mv.run_id)
    objects = {mv.artifact_hash: "model"}
    objects.update({a.hash: f"artifact {a.path}" for a in run.artifacts})
    dataset = None
    if with_data and mv.dataset:
        version = datasets.resolve(ws, mv.dataset)
        if trees.listed(version.profile):
            raise InvalidInput(
                f"{version.ref} is a folder of Parquet files, which a bundle cannot carry yet: "
                f"export without --with-data (`wb push` shares the dataset)"
            )
        dataset = version.to_dict()
        objects[version.hash] = f"dataset {version.ref}"
    for oid in objects:
        if not ws.store.verify(oid):
            raise InvalidInput(f"object {oid[:12]} ({objects[oid]}) is corrupt; run `wb fsck`")
    # The contract travels with the model: on the other side it is what the schema gate and
    # `wb data validate` check the data there against.
    name = (mv.dataset or "").partition("@")[0]
    contract_text = contracts.get_text(ws, name) if name else None
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now_iso(),
        "model": {**mv.to_dict(), "artifact_meta": mv.artifact_meta},
        "run": {**run.to_dict(), "metric_history": history},
        "dataset": dataset,
        "contract": {"dataset": name, "text": contract_text} if contract_text else None,
        "objects": [{"hash": oid, "size": ws.store.size(oid), "role": role} for oid, role in objects.items()],
    }
    tmp = dest.with_name(f".{dest.name}.wb-tmp")
    try:
        with tarfile.open(tmp, "w") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, default=str).encode())
            for oid in objects:
                info = tarfile.TarInfo(f"objects/{oid}")
                info.size = ws.store.size(oid)
                info.mode = 0o444
                with ws.store.open(oid) as f:
                    tar.addfile(info, f)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(
        model=mv.ref,
        file=dest,
        objects=len(objects),
        with_data=dataset is not None,
        with_contract=contract_text is not None,
    )


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o444
    tar.addfile(info, io.BytesIO(data))


# -- import ---------------------------------------------------------------------------------
# Decompression and tar damage: each means the file is not a whole bundle.
DAMAGE = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError)
# What tar adds around each member (a header, perhaps a pax header, padding to 512 bytes) and
# at the end (zero blocks, a record's padding): the expanded stream may exceed the manifest's
# sizes by no more than this.
FRAMING_PER_MEMBER = 4096
FRAMING_TOTAL = 64 * 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class ContractImport:
    """What an import did with the contract a bundle carries: set it here only where the
    dataset has none."""

    dataset: str | None  # the dataset the contract is of; None when the bundle carries none
    imported: bool  # set here by this import
    note: str  # what happened, in words
    differs: bool = False  # the dataset here has another contract, which was kept (its note says so)

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "imported": self.imported, "note": self.note}


@dataclass(frozen=True)
class ImportResult:
    """A bundle imported: `wb import --json`."""

    model: str  # the version here, NAME@VERSION (its number here, not the exported one)
    run: str  # the id of the run that trained it
    dataset: str | None  # the name of the dataset the bundle carries, if any
    objects: int  # objects taken from the bundle (0 when already present)
    already_present: bool  # this workspace had it already: nothing was written
    contract: ContractImport | None  # None when already present

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "run": self.run,
            "dataset": self.dataset,
            "objects": self.objects,
            "already_present": self.already_present,
        }
        if self.contract is not None:
            out["contract"] = self.contract.to_dict()
        return out


def import_bundle(ws: Workspace, path: Path) -> ImportResult:
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist")
    staged: dict[str, StagedObject] = {}
    with ws.writing_objects():  # gc waits: it must not sweep what is staged
        try:
            manifest = _read_checked(ws, path, staged)
            result = _commit(ws, path, manifest, staged)
        except BaseException:
            for s in staged.values():
                s.discard()
            raise
    return result


class _Budget:
    """The expanded bundle, read through a budget: a read past `limit` bytes is refused, so a
    bundle never expands to more than its manifest declares (a compression bomb stops here)."""

    def __init__(self, source: io.BufferedIOBase, limit: int, path: Path):
        self.source, self.limit, self.path, self.count = source, limit, path, 0

    def read(self, n: int = -1) -> bytes:
        allowed = self.limit - self.count + 1  # one byte more than allowed shows the excess
        data = self.source.read(allowed if n < 0 else min(n, allowed))
        self.count += len(data)
        if self.count > self.limit:
            raise InvalidInput(
                f"{self.path} expands to more than its manifest declares (a "
                f"compression bomb?); nothing was imported"
            )
        return data


@contextlib.contextmanager
def _expanded(path: Path) -> Iterator[io.BufferedIOBase]:
    """The bundle's tar stream, decompressed here so that `_Budget` counts expanded bytes."""
    with open(path, "rb") as raw:
        head = raw.read(6)
        raw.seek(0)
        expanded: io.BufferedIOBase
        if head.startswith(b"\x1f\x8b"):
            expanded = gzip.GzipFile(fileobj=raw)
        elif head.startswith(b"BZh"):
            expanded = bz2.BZ2File(raw)
        elif head.startswith(b"\xfd7zXZ\x00"):
            expanded = lzma.LZMAFile(raw)
        else:
            yield raw
            return
        with expanded:
            yield expanded


def _read_checked(ws: Workspace, path: Path, staged: dict[str, StagedObject]) -> dict[str, Any]:
    """Check the manifest, then every member against it, staging each object; returns the
    manifest. Nothing past the manifest is read until the manifest has checked out."""
    with contextlib.ExitStack() as stack:
        stream = _Budget(stack.enter_context(_expanded(path)), MAX_MANIFEST_BYTES + FRAMING_TOTAL, path)
        try:
            # A stream ("r|") is only read: `read` is all of a file that `_Budget` needs.
            tar = stack.enter_context(tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|"))
        except DAMAGE:
            raise InvalidInput(f"{path} is not a wb bundle (not a tar file)") from None
        manifest, expected = None, {}
        try:
            for member in tar:
                _check_member(member, path)
                if manifest is None:
                    manifest = _manifest(ws, tar, member, path)
                    expected = {o["hash"]: o["size"] for o in manifest["objects"]}
                    stream.limit = (
                        stream.count
                        + sum(expected.values())
                        + FRAMING_TOTAL
                        + FRAMING_PER_MEMBER * len(expected)
                    )
                    continue
                oid = _object_id(member, path, expected, staged)
                # tarfile yields no more of a member than its header's size: refused here, a
                # member larger than the manifest says is never written nor hashed.
                if member.size != expected[oid]:
                    raise InvalidInput(
                        f"{path}: object {oid[:12]} is {member.size} bytes; its manifest says {expected[oid]}"
                    )
                staged[oid] = ws.store.stage_stream(_reader(tar, member))
                if staged[oid].oid != oid:
                    raise InvalidInput(
                        f"{path}: object {oid[:12]} does not match its hash "
                        f"(the bundle was altered or damaged)"
                    )
        except DAMAGE as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"{path} is damaged or truncated ({reason})") from None
    if manifest is None:
        raise InvalidInput(f"{path} is not a wb bundle (it has no manifest)")
    missing = set(expected) - set(staged)
    if missing:
        raise InvalidInput(f"{path} lacks {len(missing)} of its objects (truncated?)")
    return manifest


def _check_member(member: tarfile.TarInfo, path: Path) -> None:
    name = member.name
    if not member.isfile():
        raise InvalidInput(f"{path}: {name!r} is not a regular file (links and folders are refused)")
    if name.startswith("/") or ".." in name.split("/") or "\\" in name:
        raise InvalidInput(f"{path}: {name!r} is not a safe relative path")


def _reader(tar: tarfile.TarFile, member: tarfile.TarInfo) -> io.BufferedReader:
    """A member's bytes: tarfile's reader of a regular file (an `ExFileObject`, which is a
    BufferedReader though typeshed says `IO[bytes] | None`)."""
    reader = tar.extractfile(member)
    assert isinstance(reader, io.BufferedReader), "_check_member lets regular files only through"
    return reader


def _object_id(
    member: tarfile.TarInfo, path: Path, expected: dict[str, int], staged: dict[str, StagedObject]
) -> str:
    match = OBJECT_NAME.fullmatch(member.name)
    if not match or match.group(1) not in expected:
        raise InvalidInput(f"{path}: {member.name!r} is not in the bundle's manifest")
    if match.group(1) in staged:
        raise InvalidInput(f"{path}: {member.name!r} appears twice")
    return match.group(1)


def _manifest(ws: Workspace, tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> dict[str, Any]:
    """The first member, read and checked in full: its shape, its names, its references and
    the size it declares."""
    if member.name != MANIFEST:
        raise InvalidInput(f"{path} is not a wb bundle (it does not start with {MANIFEST})")
    if member.size > MAX_MANIFEST_BYTES:
        raise InvalidInput(f"{path}: its manifest is implausibly large")
    manifest = bundle_manifest.parse(_reader(tar, member).read(), path)
    version: Any = manifest.get("format_version")  # checked just below
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{path} is not a wb bundle")
    if not bundle_manifest.WHOLE.ok(version):
        raise InvalidInput(
            f"{path}: its manifest is malformed (manifest.format_version must be a whole number)"
        )
    if version > FORMAT_VERSION:
        raise InvalidInput(
            f"{path} was written by a newer wb (bundle format {version}, this wb "
            f"reads {FORMAT_VERSION}); upgrade wb to import it"
        )
    bundle_manifest.check(manifest, path)
    _check_size(ws, manifest, path)
    _check_references(ws, manifest, path)
    return manifest


def _check_size(ws: Workspace, manifest: dict[str, Any], path: Path) -> None:
    cap_mb = ws.config.bundles.max_expanded_mb
    total = sum(o["size"] for o in manifest["objects"])
    if total > cap_mb * MIB:
        raise InvalidInput(
            f"{path} holds {total / MIB:,.0f} MB of objects, more than the "
            f"{cap_mb:,} MB that [bundles] max_expanded_mb allows"
        )


def _check_references(ws: Workspace, manifest: dict[str, Any], path: Path) -> None:
    """Each object carried is one a record points at; each one pointed at is carried, or is
    here and verifies."""
    carried = {o["hash"] for o in manifest["objects"]}
    wanted = bundle_manifest.referenced(manifest)
    for oid in sorted(carried - wanted):
        raise InvalidInput(f"{path}: object {oid[:12]} is in the bundle but nothing in it refers to it")
    for oid in sorted(wanted - carried):
        if not ws.store.exists(oid):
            raise InvalidInput(
                f"{path}: its records point at object {oid[:12]}, which neither "
                f"the bundle nor this workspace holds"
            )
        if not ws.store.verify(oid):
            raise IntegrityError(
                f"object {oid[:12]} here is corrupt, and the bundle does not carry it; run `wb fsck`"
            )


def _commit(
    ws: Workspace, path: Path, manifest: dict[str, Any], staged: dict[str, StagedObject]
) -> ImportResult:
    model, run, dataset = manifest["model"], manifest["run"], manifest["dataset"]
    present = _version_here(ws, model["name"], run["id"], model["artifact_hash"])
    if present is not None:  # imported before, or exported from here: nothing new
        for s in staged.values():
            s.discard()
        return ImportResult(
            model=f"{model['name']}@{present}",
            run=run["id"],
            dataset=dataset and dataset["name"],
            objects=0,
            already_present=True,
            contract=None,
        )
    contract = _contract_to_import(ws, manifest.get("contract"))
    description = registry.check_description(model.get("description") or "")
    _check_model_loads(ws, path, model, staged)
    profiled = dataset and _profile_dataset(ws, path, dataset, staged)
    for s in staged.values():
        s.commit()
    with transaction(ws.conn) as conn:
        if dataset:
            _import_dataset(conn, dataset, profiled)
        if contract.imported and contract.dataset:
            contracts.write(conn, contract.dataset, manifest["contract"]["text"], "an imported bundle")
        _import_run(conn, run)
        meta = {**model["artifact_meta"], **_local_dataset(conn, model["artifact_meta"])}
        number = registry.insert_version(
            conn,
            model["name"],
            model["run_id"],
            model["artifact_hash"],
            meta,
            model["schema"],
            model["metrics"],
            description,
        )
        events.record(
            conn,
            "model.import",
            f"imported {model['name']}@{number} (exported as @{model['version']})",
            subject=f"{model['name']}@{number}",
            data={"run": run["id"]},
        )
    return ImportResult(
        model=f"{model['name']}@{number}",
        run=run["id"],
        dataset=dataset and dataset["name"],
        objects=len(staged),
        already_present=False,
        contract=contract,
    )


def _version_here(ws: Workspace, name: str, run_id: str, artifact_hash: str) -> int | None:
    """The number of the version of model `name` here made from this run's model, if any."""
    try:
        found = registry.versions(ws, name)
    except NotFound:  # no such model here yet
        return None
    return next((v.version for v in found if v.run_id == run_id and v.artifact_hash == artifact_hash), None)


def _object_bytes(ws: Workspace, oid: str, staged: dict[str, StagedObject]) -> bytes:
    """An object's verified bytes: staged from the bundle (hashed as it was read), or here."""
    return _local_path(ws, oid, staged).read_bytes() if oid in staged else ws.store.read_verified(oid)


def _local_path(ws: Workspace, oid: str, staged: dict[str, StagedObject]) -> Path:
    """Where an object's bytes are on this machine, staged or stored: an import fills the
    workspace's own folder, and `tabular.read_table` reads a dataset by path (its checks for
    ragged rows read the file again)."""
    return Path(staged[oid].written.temp) if oid in staged else ws.objects.path(oid)


def _check_model_loads(
    ws: Workspace, path: Path, model: dict[str, Any], staged: dict[str, StagedObject]
) -> None:
    """Load the model as scoring will, trusted types only: a pickle, or a skops file asking for
    any other type, never becomes a version here."""
    try:
        model_io.load(_object_bytes(ws, model["artifact_hash"], staged), model["artifact_meta"])
    except IntegrityError as exc:
        raise InvalidInput(f"{path}: its model cannot be loaded safely ({exc})") from None


def _profile_dataset(
    ws: Workspace, path: Path, dataset: dict[str, Any], staged: dict[str, StagedObject]
) -> dict[str, Any] | None:
    """The dataset's schema and profile, computed here from its verified bytes as `wb data add`
    computes them (None when these bytes are already that version here)."""
    from ..data import profile, tabular

    if _local_version(ws.conn, dataset["name"], dataset["hash"]) is not None:
        return None
    oid = dataset["hash"]
    where = _local_path(ws, oid, staged)
    try:
        df = tabular.read_table(where, dataset["format"])
    except InvalidInput:
        raise InvalidInput(
            f"{path}: its dataset {dataset['name']} cannot be read as "
            f"{tabular.FORMAT_NAMES[dataset['format']]}"
        ) from None
    settings = ws.config.data
    return {
        "schema": profile.schema_of(df),
        "size": where.stat().st_size,
        "profile": profile.compute(df, bins=settings.histogram_bins, top=settings.top_values),
    }


def _contract_to_import(ws: Workspace, carried: dict[str, Any] | None) -> ContractImport:
    """Whether the bundle's contract is set here: only where the dataset has none. A contract
    already here is the user's word on their data and is never replaced by a file's."""
    if not carried:
        return ContractImport(None, False, "the bundle carries no contract")
    name, text = carried["dataset"], carried["text"]
    check_name(name, "dataset")
    contracts.parse(text, "the bundle's contract")  # refused before anything is written
    here = contracts.get_text(ws, name)
    if here is None:
        return ContractImport(name, True, f"set the contract of {name}")
    if here == text:
        return ContractImport(name, False, f"the contract of {name} here is the same")
    return ContractImport(
        name,
        False,
        f"kept the contract of {name} here; the bundle's differs (`wb data contract`)",
        differs=True,
    )


def _local_dataset(conn: sqlite3.Connection, meta: dict[str, Any]) -> dict[str, Any]:
    """The model's training data named as this workspace knows it: the version here with the
    same bytes, else by hash (`sales@1f9afc70bf02`), which names no other version here."""
    ref, digest = meta.get("dataset"), meta.get("dataset_hash")
    if not ref or not digest:
        return {}
    name = ref.partition("@")[0]
    number = _local_version(conn, name, digest)
    return {"dataset": f"{name}@{number}" if number else f"{name}@{digest[:12]}"}


def _local_version(conn: sqlite3.Connection, name: str, digest: str) -> int | None:
    """The number of the version of `name` here that holds these bytes, if any."""
    here = datasets.holding(conn, name, digest)
    return here.version if here else None


def _import_dataset(conn: sqlite3.Connection, d: dict[str, Any], profiled: dict[str, Any] | None) -> None:
    if profiled is None or _local_version(conn, d["name"], d["hash"]) is not None:
        return  # these bytes are already a version here
    # Not validated here (valid is NULL) until `wb data validate` checks it against a contract.
    datasets.insert_version(
        conn,
        d["name"],
        hash_algo=hashing.ALGORITHM,
        oid=d["hash"],
        fmt=d["format"],
        size=profiled["size"],
        schema=profiled["schema"],
        prof=profiled["profile"],
        message=f"imported: {d['name']}@{d['version']}",
        source_path=None,
        valid=None,
    )


def _import_run(conn: sqlite3.Connection, run: dict[str, Any]) -> None:
    """The run and everything it logged, as the manifest records them, through runs.py."""
    run_id = run["id"]
    if runs.exists(conn, run_id):
        return  # imported before (or this is where it came from)
    runs.insert_run(
        conn,
        run_id,
        name=run["name"],
        experiment=run["experiment"],
        status=run["status"],
        kind=run["kind"],
        model=run["model"],
        command=run["command"],
        cwd=run["cwd"],
        host=run["host"],
        pid=run["pid"],
        seed=run["seed"],
        spec=run["spec"],
        environment=run["environment"],
        error=run["error"],
        exit_code=run["exit_code"],
        created_at=run["created_at"],
        started_at=run["started_at"],
        ended_at=run["ended_at"],
        duration_s=run["duration_s"],
    )
    runs.write_params(conn, run_id, run["params"])
    runs.write_tags(conn, run_id, run["tags"])
    runs.insert_metrics(
        conn, [(run_id, key, step, value, at) for key, step, value, at in run["metric_history"]]
    )
    runs.write_latest_metrics(conn, run_id, {k: (0, v) for k, v in run["metrics"].items()})
    # An input is named by its number here when these bytes are a version here.
    runs.insert_inputs(
        conn,
        run_id,
        [
            RunInput(i["dataset"], _local_version(conn, i["dataset"], i["hash"]) or i["version"], i["hash"])
            for i in run["inputs"]
        ],
    )
    for a in run["artifacts"]:
        runs.insert_artifact(conn, run_id, RunArtifact(a["path"], a["kind"], a["hash"], a["size"], a["meta"]))
