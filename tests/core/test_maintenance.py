from __future__ import annotations

import os
import time

from workbench.core.data import datasets
from workbench.core.storage.maintenance import fsck, gc


def _age(path, hours):
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_gc_sweeps_only_old_unreferenced_objects(ws, small_csv):
    kept = datasets.add(ws, small_csv, "sales").version.hash
    old_orphan, _ = ws.store.put_bytes(b"nothing refers to me")
    young_orphan, _ = ws.store.put_bytes(b"just written by someone")
    _age(ws.objects.path(old_orphan), 48)
    _age(ws.objects.path(kept), 48)

    dry = gc(ws, dry_run=True)
    assert dry.deleted == [old_orphan] and dry.spared_young == 1
    assert ws.store.exists(old_orphan)

    done = gc(ws)
    assert done.deleted == [old_orphan] and done.bytes_freed == len(b"nothing refers to me")
    assert not ws.store.exists(old_orphan)
    assert ws.store.exists(kept) and ws.store.exists(young_orphan)
    assert fsck(ws).ok


def test_gc_removes_orphaned_temp_files(ws):
    ws.objects.tmp_dir.mkdir(parents=True, exist_ok=True)
    (ws.objects.tmp_dir / "dead.tmp").write_bytes(b"half a file")
    assert fsck(ws).ok and fsck(ws).temp_files == 1  # a leftover is not damage
    assert gc(ws).temp_files == 1
    assert not list(ws.objects.tmp_dir.iterdir())


def test_fsck_reports_a_missing_object_with_what_refers_to_it(ws, small_csv):
    oid = datasets.add(ws, small_csv, "sales").version.hash
    ws.store.delete(oid)
    report = fsck(ws)
    assert not report.ok
    assert report.missing == [{"hash": oid, "referenced_by": ["sales@1"]}]
