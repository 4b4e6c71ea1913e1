"""The remotes a workspace knows: `[remote.NAME]` tables in `.wb/config.toml`, as git and DVC
keep theirs in their config. Credentials are never here: S3 reads the standard AWS environment
variables and profile files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import config as config_mod
from ..errors import InvalidInput, NotFound
from ..names import check_name, did_you_mean
from ..storage import failures
from ..storage.locks import file_lock
from ..storage.workspace import Workspace

TABLE = "remote"
S3_SCHEME = "s3://"
# Bucket names as S3-compatible servers take them (AWS is stricter: lowercase, 3 to 63).
BUCKET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
URL_HINT = "give s3://BUCKET/PREFIX, a folder path or file:///PATH"


@dataclass(frozen=True)
class Remote:
    """A place objects travel to: a bucket (and prefix) of an S3-compatible server, or a folder."""

    name: str
    url: str  # `s3://bucket/prefix`, or a folder's absolute path
    endpoint_url: str | None  # the S3 server when it is not AWS (`http://127.0.0.1:9000`)
    default: bool  # the remote that push and pull use when none is named

    @property
    def is_s3(self) -> bool:
        return self.url.startswith(S3_SCHEME)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "endpoint_url": self.endpoint_url,
            "default": self.default,
        }


def normalise_url(url: str) -> str:
    """`url` as a remote keeps it: `s3://bucket/prefix` without stray slashes, a folder (a path
    or `file:///path`) as an absolute path. Anything else is refused in one sentence."""
    if url.startswith(S3_SCHEME):
        bucket, _, prefix = url[len(S3_SCHEME) :].partition("/")
        if not BUCKET_RE.fullmatch(bucket):
            raise InvalidInput(f"remote URL {url!r} names no usable bucket; {URL_HINT}")
        parts = [p for p in prefix.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise InvalidInput(f"remote URL {url!r} has '.' or '..' in its prefix; {URL_HINT}")
        return S3_SCHEME + "/".join([bucket, *parts])
    if url.startswith("file://"):
        split = urlsplit(url)
        if split.netloc not in ("", "localhost"):
            raise InvalidInput(f"remote URL {url!r} names another host; {URL_HINT}")
        url = unquote(split.path)
    elif "://" in url or not url.strip():
        raise InvalidInput(f"remote URL {url!r} is not one wb can use; {URL_HINT}")
    folder = Path(url).expanduser().resolve()
    # The folder, or the nearest of its parents that exists: a folder remote is made on the
    # first push, which a file on the way would stop.
    there = next(p for p in (folder, *folder.parents) if p.exists())
    if not there.is_dir():
        where = "is a file" if there == folder else f"is inside {there}, a file"
        raise InvalidInput(f"remote folder {folder} {where}, not a folder; {URL_HINT}")
    return str(folder)


def _check_endpoint(endpoint_url: str) -> str:
    split = urlsplit(endpoint_url)
    if split.scheme not in ("http", "https") or not split.netloc:
        raise InvalidInput(
            f"--endpoint-url {endpoint_url!r} is not an http:// or https:// address of an S3 server"
        )
    if split.username is not None or split.password is not None:
        raise InvalidInput(
            "--endpoint-url must not carry credentials (they would be written to .wb/config.toml); "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )
    return endpoint_url.rstrip("/")


def list_remotes(ws: Workspace) -> list[Remote]:
    """The workspace's remotes, by name."""
    path = ws.config_path
    tables = config_mod.read_toml(path).get(TABLE, {}) if path.exists() else {}
    if not isinstance(tables, dict):
        raise InvalidInput(f"{path}: {TABLE} must hold tables ([{TABLE}.NAME]), not {tables!r}")
    return sorted((_remote(path, name, table) for name, table in tables.items()), key=lambda r: r.name)


def _remote(path: Path, name: str, table: Any) -> Remote:
    where = f"{path}: [{TABLE}.{name}]"
    if not isinstance(table, dict) or not isinstance(table.get("url"), str):
        raise InvalidInput(f'{where} needs url = "s3://BUCKET/PREFIX" or a folder')
    endpoint, default = table.get("endpoint_url"), table.get("default", False)
    if endpoint is not None and not isinstance(endpoint, str):
        raise InvalidInput(f"{where}: endpoint_url must be a string")
    if not isinstance(default, bool):
        raise InvalidInput(f"{where}: default must be true or false")
    url = table["url"]
    if not (url.startswith(S3_SCHEME) or Path(url).is_absolute()):  # as `wb remote add` writes it
        raise InvalidInput(f"{where}: url {url!r} must be s3://BUCKET/PREFIX or a folder's absolute path")
    return Remote(name, url, endpoint, default)


def get(ws: Workspace, name: str | None = None) -> Remote:
    """The remote called `name`; without one, the default (or the only remote there is)."""
    remotes = list_remotes(ws)
    if name is None:
        chosen = [r for r in remotes if r.default] or (remotes if len(remotes) == 1 else [])
        if not chosen:
            raise NotFound(
                "no remote given and no default remote; name one, or set one with "
                "`wb remote add NAME URL --default`"
                if remotes
                else "this workspace has no remote; add one with `wb remote add NAME URL`"
            )
        return chosen[0]
    for remote in remotes:
        if remote.name == name:
            return remote
    known = [r.name for r in remotes]
    listed = f" (remotes: {', '.join(known)})" if known else ""
    raise NotFound(f"no remote named {name!r}{listed}{did_you_mean(name, known)}")


def add(ws: Workspace, name: str, url: str, endpoint_url: str | None = None, default: bool = False) -> Remote:
    """Add a remote; with `default`, it becomes the one push and pull use unnamed. Nothing is
    written when any of it is refused."""
    check_name(name, "remote")
    url = normalise_url(url)
    if endpoint_url is not None:
        if not url.startswith(S3_SCHEME):
            raise InvalidInput("--endpoint-url is for an s3:// remote; a folder remote has no server")
        endpoint_url = _check_endpoint(endpoint_url)
    remote = Remote(name, url, endpoint_url, default)
    with _editing(ws) as doc:
        existing = {r.name: r for r in list_remotes(ws)}
        if name in existing:
            raise InvalidInput(
                f"a remote named {name!r} already exists ({existing[name].url}); remove it "
                f"first with `wb remote remove {name}`"
            )
        tables = doc.setdefault(TABLE, _super_table())
        if default:
            for other in tables.values():
                other.pop("default", None)
        tables[name] = _table(remote)
    return remote


def remove(ws: Workspace, name: str) -> Remote:
    """Forget a remote (its bucket or folder is left as it is)."""
    remote = get(ws, name)
    with _editing(ws) as doc:
        tables = doc[TABLE]
        del tables[name]
        if not tables:
            del doc[TABLE]
    return remote


def _super_table() -> Any:
    import tomlkit

    return tomlkit.table(is_super_table=True)  # `[remote.origin]`, never a bare `[remote]`


def _table(remote: Remote) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["url"] = remote.url
    if remote.endpoint_url is not None:
        table["endpoint_url"] = remote.endpoint_url
    if remote.default:
        table["default"] = True
    return table


@contextmanager
def _editing(ws: Workspace) -> Iterator[Any]:
    """The config file as an editable document, its comments and layout kept (tomllib cannot
    write back), written back atomically when the block succeeds, under a lock so that two
    edits never lose one another."""
    import tomlkit

    if ws.read_only:
        raise failures.read_only(ws.root)
    path = ws.config_path
    with file_lock(ws.wb_dir / "config.lock"):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text:
            config_mod.read_toml(path)  # a broken file is refused in the words used everywhere
        doc = tomlkit.parse(text)
        yield doc
        _write_atomically(path, doc.as_string())


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
