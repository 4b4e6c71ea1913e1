"""Bundles trust nothing in their manifest: every hash a record points at is carried or here,
names pass the CLI's checks, sizes are held to what the manifest declares, members nothing
refers to are refused, malformed manifests are bad input, and a model that cannot be loaded with
wb's trusted types never becomes a version. A refused import writes nothing and stages nothing.

Each hostile bundle is rebuilt from a real export: its manifest edited as an attacker would and
its objects' hashes and sizes made to agree, so that only the lie under test is told.
"""

from __future__ import annotations

import copy
import dataclasses
import fractions
import gzip
import io
import json
import pickle
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DROPS
from workbench.core import config
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import training
from workbench.core.models import bundles, gates, registry
from workbench.core.storage.hashing import hash_bytes
from workbench.core.storage.workspace import Workspace


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[dict, dict[str, bytes]]:
    """A real bundle's manifest and objects (with data), made once."""
    root = tmp_path_factory.mktemp("source")
    ws, _ = Workspace.init(root / "ws")
    try:
        datasets.add(ws, DROPS / "week_01.csv", "sales")
        run_id = training.train(ws, training.TrainSpec(data="sales@1", target="units_sold", model="linear"))
        registry.register(ws, run_id, "demand")
        path = root / "demand.wbm"
        bundles.export(ws, "demand@1", path, with_data=True)
    finally:
        ws.close()
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    manifest = json.loads(members.pop("manifest.json"))
    return manifest, {name.removeprefix("objects/"): data for name, data in members.items()}


@pytest.fixture
def other(tmp_path):
    ws, _ = Workspace.init(tmp_path / "other")
    yield ws
    ws.close()


def write_bundle(
    path: Path,
    manifest: dict,
    objects: dict[str, bytes],
    *,
    compress=False,
    pax: dict[str, str] | None = None,
    sizes: dict[str, int] | None = None,
) -> Path:
    """A tar of `manifest` and `objects`; `sizes` overrides a member header's size (its data is
    padded to match), `pax` adds a pax header to every object member."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        members = {
            "manifest.json": json.dumps(manifest).encode(),
            **{f"objects/{oid}": data for oid, data in objects.items()},
        }
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            size = (sizes or {}).get(name.removeprefix("objects/"), len(data))
            info.size = size
            if pax and name != "manifest.json":
                info.pax_headers = dict(pax)
            tar.addfile(info, io.BytesIO(data.ljust(size, b"\0")))
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def swap_model(manifest: dict, objects: dict[str, bytes], payload: bytes) -> None:
    """Put `payload` in as the model's artifact, with every hash and size agreeing."""
    old = manifest["model"]["artifact_hash"]
    new = hash_bytes(payload)
    objects.pop(old)
    objects[new] = payload
    manifest["model"]["artifact_hash"] = new
    for artifact in manifest["run"]["artifacts"]:
        if artifact["hash"] == old:
            artifact.update(hash=new, size=len(payload))
    for obj in manifest["objects"]:
        if obj["hash"] == old:
            obj.update(hash=new, size=len(payload))


def drop_object(manifest: dict, objects: dict[str, bytes], oid: str) -> None:
    objects.pop(oid)
    manifest["objects"] = [o for o in manifest["objects"] if o["hash"] != oid]


def _model_not_carried(m, o):
    drop_object(m, o, m["model"]["artifact_hash"])


def _dataset_not_carried(m, o):
    drop_object(m, o, m["dataset"]["hash"])


def _extra_object(m, o):
    data = b"nothing refers to me"
    o[hash_bytes(data)] = data
    m["objects"].append({"hash": hash_bytes(data), "size": len(data), "role": "stowaway"})


def _set(path: str, value) -> Callable[[dict, dict], None]:
    """An edit setting manifest[a][b]... to `value`."""
    *parents, last = path.split(".")

    def edit(m, o):
        target = m
        for key in parents:
            target = target[key]
        target[last] = value

    return edit


def _duplicate_artifact(m, o):
    m["run"]["artifacts"].append(copy.deepcopy(m["run"]["artifacts"][0]))


def _negative_size(m, o):
    m["run"]["artifacts"][0]["size"] = -1


def _pickled_model(m, o):
    swap_model(m, o, pickle.dumps({"not": "a model"}))


def _pickle_named_skops(m, o):
    swap_model(m, o, pickle.dumps([1, 2, 3]))
    m["model"]["artifact_meta"]["format"] = "skops"


def _skops_asking_for_untrusted_types(m, o):
    import skops.io as sio

    swap_model(m, o, sio.dumps({"weights": fractions.Fraction(1, 3)}))


HOSTILE = {
    "model hash not carried": (_model_not_carried, "neither the bundle nor this workspace holds"),
    "dataset hash not carried": (_dataset_not_carried, "neither the bundle nor this workspace holds"),
    "unreferenced object": (_extra_object, "nothing in it refers to it"),
    "model name with an escape": (_set("model.name", "demand\x1b[2J"), "not allowed"),
    "model name with a slash": (_set("model.name", "../demand"), "not allowed"),
    "dataset name with dots": (_set("dataset.name", ".."), "not allowed"),
    "experiment with a slash": (_set("run.experiment", "a/b"), "not allowed"),
    "run name with a slash": (_set("run.name", "../../etc"), "run name"),
    "run name with an escape": (_set("run.name", "\x1b]0;owned\x07"), "run name"),
    "objects not a list": (_set("objects", "x"), "manifest.objects must be a list"),
    "model missing": (_set("model", None), "manifest.model must be an object"),
    "version not a number": (_set("model.version", "1"), "must be a whole number"),
    "huge version": (_set("model.version", 2**70), "must be a whole number"),
    "duplicate artifact path": (_duplicate_artifact, "appears twice"),
    "negative size": (_negative_size, "must be a size in bytes"),
    "a pickle": (_pickled_model, "cannot be loaded safely"),
    "a pickle named skops": (_pickle_named_skops, "not a skops file"),
    "skops asking for untrusted types": (
        _skops_asking_for_untrusted_types,
        "types wb does not trust: fractions.Fraction",
    ),
}


def _state(ws: Workspace):
    tables = ("runs", "dataset_versions", "model_versions", "models", "contracts")
    return (
        sorted(ws.store.oids()),
        [ws.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables],
    )


def refused(ws: Workspace, path: Path, words: str) -> None:
    before = _state(ws)
    with pytest.raises(InvalidInput, match=words) as caught:
        bundles.import_bundle(ws, path)
    assert "\n" not in str(caught.value)
    assert _state(ws) == before
    assert not any(ws.objects.tmp_dir.glob("*")), "a refused import left staged objects"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_manifest_is_refused_and_nothing_is_written(case, exported, other, tmp_path):
    manifest, objects = copy.deepcopy(exported[0]), dict(exported[1])
    edit, words = HOSTILE[case]
    edit(manifest, objects)
    refused(other, write_bundle(tmp_path / "bad.wbm", manifest, objects), words)


def test_a_duplicate_key_in_the_manifest_is_refused(exported, other, tmp_path):
    manifest, objects = exported
    path = write_bundle(tmp_path / "dup.wbm", manifest, objects)
    with tarfile.open(path) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]
    text = members[0][1].decode().replace('{"format": ', '{"format": "x", "format": ', 1)
    with tarfile.open(path, "w") as tar:
        for info, data in [(members[0][0], text.encode()), *members[1:]]:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    refused(other, path, "the key 'format' appears twice")


def test_a_member_larger_than_its_manifest_says_is_refused_unread(exported, other, tmp_path):
    manifest, objects = exported
    oid = manifest["model"]["artifact_hash"]
    path = write_bundle(
        tmp_path / "big.wbm",
        manifest,
        objects,
        sizes={oid: len(objects[oid]) + 50 * 1024 * 1024},
        compress=True,
    )
    assert path.stat().st_size < 1024 * 1024  # 50 MiB of zeros gzip to a small file
    refused(other, path, f"object {oid[:12]} is .* bytes; its manifest says")


def test_a_compression_bomb_stops_at_what_the_manifest_declares(exported, other, tmp_path):
    # Pax headers are read before any member: 8 MiB of them expand from a few KiB of gzip.
    manifest, objects = exported
    path = write_bundle(
        tmp_path / "bomb.wbm", manifest, objects, compress=True, pax={"comment": "A" * 8 * 1024 * 1024}
    )
    assert path.stat().st_size < 256 * 1024
    refused(other, path, "expands to more than its manifest declares")


def test_the_expanded_size_cap_is_the_users_to_set(exported, other, tmp_path):
    manifest, objects = exported
    path = write_bundle(tmp_path / "ok.wbm", manifest, objects, compress=True)
    settings = other.config
    # A cap below this small bundle's size (the file takes whole megabytes, from 1).
    other.config = dataclasses.replace(settings, bundles=config.BundleSettings(max_expanded_mb=0))
    refused(other, path, r"more than the 0 MB that \[bundles\] max_expanded_mb allows")
    other.config = settings
    assert bundles.import_bundle(other, path).model == "demand@1"  # gzip is fine


def test_an_imported_dataset_is_profiled_here_not_taken_from_the_manifest(exported, other, tmp_path):
    manifest = copy.deepcopy(exported[0])
    manifest["dataset"].update(rows=10**9, profile={"rows": "lies"}, valid=1)
    bundles.import_bundle(other, write_bundle(tmp_path / "b.wbm", manifest, exported[1]))
    version = datasets.resolve(other, "sales@1")
    assert version.rows == len(datasets.load(other, version)) < 10**9
    assert version.valid is None  # validated only by a contract here


def test_a_model_that_does_not_load_safely_fails_the_production_gate(ws):
    """Bytes in this workspace's store that verify but are a pickle fail the gate by name; the
    model wb trained passes it."""
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    run_id = training.train(ws, training.TrainSpec(data="sales@1", target="units_sold", model="linear"))
    mv = registry.register(ws, run_id, "demand")
    pickled, _ = ws.store.put_bytes(pickle.dumps([1]))
    gate = gates.loads_safely(ws.store, pickled, mv.artifact_meta)
    assert gate.name == "loads_safely" and not gate.passed
    assert "not a skops file" in gate.detail
    good = gates.loads_safely(ws.store, mv.artifact_hash, mv.artifact_meta)
    assert good.passed, good
