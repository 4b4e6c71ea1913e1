"""Air-gap bundles: `wb model export MODELREF -o FILE` and `wb import FILE`.

A bundle is one tar file: `manifest.json` (the model version, its run's record and lineage,
optionally the training dataset version, and the hash and size of every object) followed by
`objects/<hash>` for each object. Import trusts nothing in it: every member must be a regular
file named in the manifest, with no absolute path, `..` or link; every object is hashed as it
is read and must match; and nothing is written to the workspace until the whole bundle has
checked out: objects are staged, then committed with all the rows in one transaction.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
from pathlib import Path
from typing import Any

from . import contracts, datasets, events, registry, runs
from .db import transaction
from .errors import InvalidInput
from .names import check_name
from .store import StagedObject
from .timeutil import now_iso
from .workspace import Workspace

FORMAT = "wb-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
OBJECT_NAME = re.compile(r"objects/([0-9a-f]{64})")


# -- export ---------------------------------------------------------------------------------
def export(ws: Workspace, ref: str, dest: Path, with_data: bool = False) -> dict[str, Any]:
    mv = registry.resolve(ws, ref)
    if dest.exists():
        raise InvalidInput(f"{dest} already exists")
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    run = runs.show(ws, mv.run_id)
    history = [list(r) for r in ws.conn.execute(
        "SELECT key, step, value, timestamp FROM metrics WHERE run_id = ? ORDER BY id",
        (mv.run_id,))]
    objects = {mv.artifact_hash: "model"}
    objects.update({a["hash"]: f"artifact {a['path']}" for a in run["artifacts"]})
    dataset = None
    if with_data and mv.dataset:
        version = datasets.resolve(ws, mv.dataset)
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
        "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": now_iso(),
        "model": {**mv.to_dict(), "artifact_meta": mv.artifact_meta},
        "run": {**run, "metric_history": history}, "dataset": dataset,
        "contract": {"dataset": name, "text": contract_text} if contract_text else None,
        "objects": [{"hash": oid, "size": ws.store.size(oid), "role": role}
                    for oid, role in objects.items()],
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
    return {"model": mv.ref, "file": str(dest), "objects": len(objects),
            "with_data": dataset is not None, "with_contract": contract_text is not None}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o444
    tar.addfile(info, io.BytesIO(data))


# -- import ---------------------------------------------------------------------------------
def import_bundle(ws: Workspace, path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist")
    staged: list[StagedObject] = []
    try:
        manifest = _read_checked(ws, path, staged)
        result = _commit(ws, manifest, staged)
    except BaseException:
        for s in staged:
            s.discard()
        raise
    return result


def _read_checked(ws: Workspace, path: Path, staged: list[StagedObject]) -> dict[str, Any]:
    """Check every member and stage every object; returns the manifest."""
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError):
        raise InvalidInput(f"{path} is not a wb bundle (not a tar file)") from None
    with tar:
        manifest = None
        expected: dict[str, int] = {}
        seen: set[str] = set()
        try:
            for member in tar:
                name = member.name
                if not member.isfile():
                    raise InvalidInput(f"{path}: {name!r} is not a regular file (links and "
                                       f"folders are refused)")
                if name.startswith("/") or ".." in name.split("/") or "\\" in name:
                    raise InvalidInput(f"{path}: {name!r} is not a safe relative path")
                if manifest is None:
                    manifest = _manifest(tar, member, path)
                    expected = {o["hash"]: o["size"] for o in manifest["objects"]}
                    continue
                match = OBJECT_NAME.fullmatch(name)
                if not match or match.group(1) not in expected:
                    raise InvalidInput(f"{path}: {name!r} is not in the bundle's manifest")
                oid = match.group(1)
                if oid in seen:
                    raise InvalidInput(f"{path}: {name!r} appears twice")
                source = tar.extractfile(member)
                object_ = ws.store.stage_stream(source)
                staged.append(object_)
                if object_.oid != oid or object_.size != expected[oid]:
                    raise InvalidInput(f"{path}: object {oid[:12]} does not match its hash "
                                       f"(the bundle was altered or damaged)")
                seen.add(oid)
        except (tarfile.TarError, EOFError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"{path} is damaged or truncated ({reason})") from None
    if manifest is None:
        raise InvalidInput(f"{path} is not a wb bundle (it has no manifest)")
    missing = set(expected) - seen
    if missing:
        raise InvalidInput(f"{path} lacks {len(missing)} of its objects (truncated?)")
    return manifest


def _manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> dict[str, Any]:
    if member.name != MANIFEST:
        raise InvalidInput(f"{path} is not a wb bundle (it does not start with {MANIFEST})")
    if member.size > MAX_MANIFEST_BYTES:
        raise InvalidInput(f"{path}: its manifest is implausibly large")
    try:
        manifest = json.loads(tar.extractfile(member).read())
        kind, version = manifest["format"], int(manifest["format_version"])
        manifest["model"], manifest["run"], manifest["objects"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: its manifest is unreadable ({exc})") from None
    if kind != FORMAT:
        raise InvalidInput(f"{path} is not a wb bundle")
    if version > FORMAT_VERSION:
        raise InvalidInput(f"{path} was written by a newer wb (bundle format {version}, this wb "
                           f"reads {FORMAT_VERSION}); upgrade wb to import it")
    return manifest


def _commit(ws: Workspace, manifest: dict[str, Any], staged: list[StagedObject]) -> dict:
    model, run, dataset = manifest["model"], manifest["run"], manifest["dataset"]
    present = ws.conn.execute(
        "SELECT v.version FROM model_versions v JOIN models m ON m.id = v.model_id "
        "WHERE m.name = ? AND v.run_id = ? AND v.artifact_hash = ?",
        (model["name"], run["id"], model["artifact_hash"])).fetchone()
    if present:  # imported before, or exported from here: nothing new
        for s in staged:
            s.discard()
        return {"model": f"{model['name']}@{present[0]}", "run": run["id"],
                "dataset": dataset and dataset["name"], "objects": 0, "already_present": True}
    contract = _contract_to_import(ws, manifest.get("contract"))
    for s in staged:
        s.commit()
    with transaction(ws.conn) as conn:
        if dataset:
            _import_dataset(conn, dataset)
        if contract["imported"]:
            contracts.write(conn, contract["dataset"], manifest["contract"]["text"],
                            "an imported bundle")
        _import_run(conn, run)
        meta = {**model["artifact_meta"], **_local_dataset(conn, model)}
        number = registry.insert_version(conn, model["name"], model["run_id"],
                                         model["artifact_hash"], meta, model["schema"],
                                         model["metrics"])
        events.record(conn, "model.import", f"imported {model['name']}@{number} (exported as "
                                            f"@{model['version']})",
                      subject=f"{model['name']}@{number}", data={"run": run["id"]})
    return {"model": f"{model['name']}@{number}", "run": run["id"],
            "dataset": dataset and dataset["name"], "objects": len(staged),
            "already_present": False, "contract": contract}


def _contract_to_import(ws: Workspace, carried: dict[str, Any] | None) -> dict[str, Any]:
    """Whether the bundle's contract is set here: only where the dataset has none. A contract
    already here is the user's word on their data and is never replaced by a file's."""
    if not carried:
        return {"dataset": None, "imported": False, "note": "the bundle carries no contract"}
    name, text = carried["dataset"], carried["text"]
    check_name(name, "dataset")
    contracts.parse(text, "the bundle's contract")  # refused before anything is written
    here = contracts.get_text(ws, name)
    if here is None:
        return {"dataset": name, "imported": True, "note": f"set the contract of {name}"}
    same = here == text
    return {"dataset": name, "imported": False,
            "note": f"the contract of {name} here is the same" if same else
            f"kept the contract of {name} here; the bundle's differs (`wb data contract`)"}


def _local_dataset(conn, model: dict[str, Any]) -> dict[str, Any]:
    """The model's training data named as this workspace knows it: the version here with the
    same bytes, else by hash (`sales@1f9afc70bf02`), which names no other version here."""
    ref, digest = model.get("dataset"), model.get("dataset_hash")
    if not ref or not digest:
        return {}
    name = ref.partition("@")[0]
    number = _local_version(conn, name, digest)
    return {"dataset": f"{name}@{number}" if number else f"{name}@{digest[:12]}"}


def _local_version(conn, name: str, digest: str) -> int | None:
    """The number of the version of `name` here that holds these bytes, if any."""
    row = conn.execute("SELECT v.version FROM dataset_versions v JOIN datasets d "
                       "ON d.id = v.dataset_id WHERE d.name = ? AND v.hash = ?",
                       (name, digest)).fetchone()
    return row[0] if row else None


def _import_dataset(conn, d: dict[str, Any]) -> None:
    conn.execute("INSERT OR IGNORE INTO datasets (name, created_at) VALUES (?, ?)",
                 (d["name"], now_iso()))
    dataset_id = conn.execute("SELECT id FROM datasets WHERE name = ?",
                              (d["name"],)).fetchone()[0]
    if conn.execute("SELECT 1 FROM dataset_versions WHERE dataset_id = ? AND hash = ?",
                    (dataset_id, d["hash"])).fetchone():
        return  # these bytes are already a version here
    number = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions "
                          "WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
    conn.execute(
        "INSERT INTO dataset_versions (dataset_id, version, hash_algo, hash, format, size, rows, "
        "columns, schema, profile, message, source_path, valid, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (dataset_id, number, d["hash_algo"], d["hash"], d["format"], d["size"], d["rows"],
         d["columns"], json.dumps(d["schema"]), json.dumps(d["profile"]),
         f"imported: {d['name']}@{d['version']}", None, d.get("valid"), now_iso()))


def _import_run(conn, run: dict[str, Any]) -> None:
    if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run["id"],)).fetchone():
        return  # imported before (or this is where it came from)
    exp = runs.experiment_id(conn, run["experiment"])
    conn.execute(
        "INSERT INTO runs (id, name, experiment_id, status, kind, model, command, cwd, host, pid, "
        "seed, spec, environment, error, exit_code, created_at, started_at, ended_at, "
        "duration_s, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?)",
        (run["id"], run["name"], exp, run["status"], run["kind"], run["model"],
         json.dumps(run["command"]), run["cwd"], run["host"], run["pid"], run["seed"],
         json.dumps(run["spec"]) if run["spec"] else None, json.dumps(run["environment"]),
         run["error"], run["exit_code"], run["created_at"], run["started_at"], run["ended_at"],
         run["duration_s"], None))
    runs.write_params(conn, run["id"], run["params"])
    conn.executemany("INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)",
                     [(run["id"], k, v) for k, v in run["tags"].items()])
    conn.executemany("INSERT INTO metrics (run_id, key, step, value, timestamp) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [(run["id"], *row) for row in run["metric_history"]])
    conn.executemany("INSERT INTO latest_metrics (run_id, key, step, value) VALUES (?, ?, ?, ?)",
                     [(run["id"], k, 0, v) for k, v in run["metrics"].items()])
    conn.executemany("INSERT INTO run_inputs (run_id, dataset, version, hash) VALUES (?, ?, ?, ?)",
                     [(run["id"], i["dataset"], _local_version(conn, i["dataset"], i["hash"])
                       or i["version"], i["hash"]) for i in run["inputs"]])
    conn.executemany("INSERT INTO artifacts (run_id, path, kind, hash, size, meta) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     [(run["id"], a["path"], a["kind"], a["hash"], a["size"],
                       json.dumps(a["meta"])) for a in run["artifacts"]])
