"""A `StoreBackend` over an fsspec file system: a bucket of an S3-compatible server (s3fs) or a
folder. The layout is the local store's, under the remote's root: `<root>/blake3/<2 hex>/<rest>`,
temps in `<root>/tmp/`.

A write goes to a temp key while it is hashed and is moved under its id only once whole: on S3
the move is a server-side copy, and a PUT (or a multipart upload) is visible only when it
completes, so no reader ever sees half an object under its id. A write that fails midway is
discarded (its multipart upload aborted), never completed; what a killed write left (a temp key,
an upload never completed) is swept by the next push once it is older than a push could still be
at work on it. Listings are one recursive listing of a prefix, never one request per object.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

import fsspec
from fsspec.spec import AbstractBufferedFile

from ..storage import failures, hashing
from ..storage.backend import Cancelled, Entry, ObjectStream, Progress, Readable, Written

TMP_SUFFIX = ".tmp"
IDENTITY = "remote-id"  # under the root, beside the objects: which remote this is


class FsspecBackend:
    """Objects under `root` (a path as `fs` spells it: `bucket/prefix/objects`, `/media/usb/wb`)."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str, where: str | None = None):
        self.fs = fs
        self.root = root.rstrip("/")
        self.where = where or root  # how errors name this place: the remote's URL
        self._base = f"{self.root}/{hashing.ALGORITHM}"
        self._tmp = f"{self.root}/tmp"
        # S3 has keys, not files: no folders to make, no utime (see `touch`), and a PUT that
        # shows an object only once it is whole (see `put`).
        self._object_store = "s3" in _protocols(fs)

    def path(self, oid: str) -> str:
        return f"{self._base}/{oid[:2]}/{oid[2:]}"

    def has(self, oid: str) -> bool:
        return bool(self.fs.isfile(self.path(oid)))

    def open(self, oid: str) -> ObjectStream:
        return cast(ObjectStream, self.fs.open(self.path(oid), "rb"))

    def stage(
        self, source: Readable, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Written:
        tmp = f"{self._tmp}/{secrets.token_hex(8)}{TMP_SUFFIX}"
        self._make_folder(self._tmp)
        h = hashing.hasher()
        size = 0
        out = self.fs.open(tmp, "wb")
        buffer = bytearray(hashing.CHUNK)
        try:
            while n := source.readinto(buffer):
                chunk = memoryview(buffer)[:n]
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            out.flush()
            with contextlib.suppress(AttributeError, io.UnsupportedOperation):  # only a folder's file
                os.fsync(out.fileno())  # has a descriptor; an S3 PUT is durable once it returns
            out.close()
        except BaseException as exc:
            _abandon(out)
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(tmp)
            raise (failures.translate(exc, self.where) or exc) from None
        return Written(tmp, h.hexdigest(), size)

    def commit(self, written: Written) -> bool:
        dest = self.path(written.oid)
        try:
            if self.fs.isfile(dest):
                self.touch(written.oid)
                self.discard(written.temp)
                return False
            self._make_folder(dest.rsplit("/", 1)[0])
            self.fs.mv(written.temp, dest)  # a rename on a folder; on S3 a copy, then the temp goes
            return True
        except BaseException:
            self.discard(written.temp)
            raise

    def put(self, oid: str, data: bytes, absent: bool = False) -> bool:
        if not self._object_store:  # a folder's file is written whole only via a temp
            return self.commit(self.stage(io.BytesIO(data)))
        # A HEAD first, unless just listed as missing: one per object tripled a push's time.
        if not absent and self.fs.isfile(self.path(oid)):
            self.touch(oid)
            return False
        self.fs.pipe_file(self.path(oid), data)  # one PUT: the key shows the object only once whole
        return True

    def discard(self, temp: str) -> None:
        if not temp.startswith(self._tmp + "/"):  # not a temp of ours: nothing of ours to remove
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(temp)

    def touch(self, oid: str) -> None:
        path = self.path(oid)
        if not self.fs.isfile(path):
            raise FileNotFoundError(path)
        if self._object_store:  # copied onto itself, an object gets a new LastModified
            self.fs.copy(path, path, MetadataDirective="REPLACE")
        else:
            self.fs.touch(path, truncate=False)

    def list(self, prefix: str = "") -> Iterator[Entry]:
        # One listing: of the prefix's fan folder when the prefix names one, else of them all.
        top = f"{self._base}/{prefix[:2]}" if len(prefix) >= 2 else self._base
        for path, info in self._find(top):
            fan, _, rest = path[len(self._base) + 1 :].partition("/")
            oid = fan + rest
            if len(fan) == 2 and "/" not in rest and oid.startswith(prefix) and not oid.endswith(TMP_SUFFIX):
                yield _entry(oid, info)

    def identity(self) -> str | None:
        """The id the first push gave this remote; None before one did. A remote emptied, or
        another put at its URL, has another id or none: what was known to be there may not be."""
        try:
            found = self.fs.cat_file(f"{self.root}/{IDENTITY}")
        except FileNotFoundError:
            return None
        return found.decode("ascii", "replace").strip() or None

    def give_identity(self) -> str:
        """A new id for this remote, one that has none (a file of a few bytes: one PUT)."""
        made = secrets.token_hex(16)
        self._make_folder(self.root)
        self.fs.pipe_file(f"{self.root}/{IDENTITY}", made.encode("ascii"))
        return made

    def temps(self) -> Iterator[Entry]:
        for path, info in self._find(self._tmp):
            yield _entry(path, info)

    def sweep_temps(self, older_than: float) -> int:
        """Remove what writes that never finished left (a push killed midway) before the unix
        time `older_than`: temp keys, and on S3 the multipart uploads to them, never completed,
        which hold storage though no listing shows them. Younger ones may be another push's,
        still at work. Returns how many went."""
        gone = 0
        for entry in self.temps():
            if entry.mtime < older_than:
                with contextlib.suppress(FileNotFoundError):
                    self.fs.rm_file(entry.name)
                    gone += 1
        if self._object_store:
            gone += self._abort_uploads(older_than)
        return gone

    def _abort_uploads(self, older_than: float) -> int:
        bucket, _, prefix = self._tmp.partition("/")
        try:
            found = self.fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix + "/")
        except OSError:  # a server that lists no uploads (rclone's answers NoSuchUpload): none to abort
            return 0
        gone = 0
        for upload in found.get("Uploads", []):
            if upload["Initiated"].timestamp() < older_than:
                self.fs.call_s3(
                    "abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                gone += 1
        return gone

    def delete(self, oid: str) -> None:
        path = self.path(oid)
        if not self.fs.isfile(path):  # S3 deletes an absent key without a word
            raise FileNotFoundError(path)
        self.fs.rm_file(path)

    def _make_folder(self, path: str) -> None:
        if not self._object_store:  # keys need no folders (and s3fs would ask for the bucket)
            self.fs.makedirs(path, exist_ok=True)

    def _find(self, top: str) -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            found = self.fs.find(top, detail=True)
        except FileNotFoundError:  # nothing stored under it yet
            return
        for path, info in found.items():
            if info.get("type") == "file":
                yield path, info


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _abandon(out: Any) -> None:
    """Drop a write that failed midway without publishing it. A buffered (remote) file would
    upload what it holds on close: it is discarded instead, which aborts its multipart upload;
    a folder's file is closed, and removed by the caller."""
    if isinstance(out, AbstractBufferedFile):
        if not out.closed:
            out.discard()
            out.closed = True  # discarded: closing it now would fail on the buffer it no longer has
    else:
        with contextlib.suppress(OSError):
            out.close()


def _entry(name: str, info: dict[str, Any]) -> Entry:
    mtime = info.get("mtime", info.get("LastModified"))  # a folder's stat, or S3's LastModified
    seconds = mtime.timestamp() if isinstance(mtime, datetime) else float(mtime or 0)
    return Entry(name, int(info["size"]), seconds)
