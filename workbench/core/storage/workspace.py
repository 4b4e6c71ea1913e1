"""A workspace: the `.wb/` folder that holds the database, the object store and the config.

Found like git finds a repository: an explicit path (`-w` or `WB_WORKSPACE`) or the nearest
folder at or above the current one that has a `.wb/`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import config as config_mod
from .. import events
from ..errors import InvalidInput, NotFound, WbError
from . import db, failures
from .failures import DamagedWorkspace
from .local_backend import LocalBackend
from .locks import file_lock
from .store import ObjectStore

WB_DIR = ".wb"
ENV_VAR = "WB_WORKSPACE"
NOT_FOUND_HINT = "run `wb init` to make one here"
ID_FILE = "workspace-id"
RESTORE_HINT = (
    "restore .wb/wb.db from a backup (or move .wb aside and run `wb init` to start over); nothing was changed"
)


@dataclass
class Workspace:
    root: Path
    _conn: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def wb_dir(self) -> Path:
        return self.root / WB_DIR

    @property
    def db_path(self) -> Path:
        return self.wb_dir / "wb.db"

    @property
    def config_path(self) -> Path:
        return self.wb_dir / "config.toml"

    @property
    def gc_lock_path(self) -> Path:
        """Writers of the store hold this shared; gc holds it exclusively."""
        return self.wb_dir / "gc.lock"

    @cached_property
    def objects(self) -> LocalBackend:
        """The store's bytes on this machine: `.wb/objects/`."""
        return LocalBackend(self.wb_dir / "objects")

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore(
            self.objects, gc_lock=self.gc_lock_path, temp_grace_s=self.config.store.gc_grace_hours * 3600
        )

    @cached_property
    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_path)

    @property
    def id_path(self) -> Path:
        """The workspace's identity beside its database: the two must agree."""
        return self.wb_dir / ID_FILE

    @cached_property
    def read_only(self) -> bool:
        """True on a read-only mount or a folder this user may not write: reads still work."""
        writable = os.access(self.wb_dir, os.W_OK)
        if self.db_path.exists():
            writable = writable and os.access(self.db_path, os.W_OK)
        return not writable

    @contextmanager
    def writing_objects(self) -> Iterator[None]:
        """Hold the store for writing (gc waits meanwhile); refused on a read-only workspace."""
        if self.read_only:
            raise failures.read_only(self.root)
        with file_lock(self.gc_lock_path, shared=True):
            yield

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self.connect()
        return self._conn

    def connect(self) -> db.Connection:
        """A new connection, only to this workspace's own database: one that is missing, empty,
        garbled or another workspace's is refused, never taken for a new workspace."""
        problem = db.file_problem(self.db_path)
        if problem and (self.id_path.exists() or self.store.has_objects()):
            raise DamagedWorkspace(
                f"the workspace database {self.db_path} {problem}, but this "
                f"workspace holds data; {RESTORE_HINT}"
            )
        conn = db.connect(self.db_path, self.wb_dir / "migrate.lock", read_only=self.read_only)
        try:
            self._check_identity(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_identity(self, conn: db.Connection) -> None:
        row = conn.execute("SELECT id FROM workspace_identity").fetchone()
        stored = row[0] if row else None
        beside = self.id_path.read_text(encoding="utf-8").strip() if self.id_path.exists() else None
        if stored is not None and beside is not None and stored != beside:
            raise DamagedWorkspace(
                f"the workspace database {self.db_path} belongs to another "
                f"workspace (id {stored[:8]}, this one is {beside[:8]}); "
                f"{RESTORE_HINT}"
            )
        if stored is None and beside is not None:
            raise DamagedWorkspace(
                f"the workspace database {self.db_path} is not this "
                f"workspace's (it has no identity, this one is {beside[:8]}); "
                f"{RESTORE_HINT}"
            )
        if conn.read_only:
            return
        if stored is None:  # a workspace from before identities, or one being made: adopt one
            stored = uuid.uuid4().hex
            with db.transaction(conn):
                conn.execute("INSERT INTO workspace_identity (id) VALUES (?)", (stored,))
        if beside is None:
            tmp = self.id_path.with_suffix(".tmp")
            tmp.write_text(stored + "\n", encoding="utf-8")
            os.replace(tmp, self.id_path)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- making and finding -----------------------------------------------------------------
    @classmethod
    def init(cls, path: Path) -> tuple[Workspace, bool]:
        """Make `path/.wb/` (idempotent); returns (workspace, created)."""
        root = path.resolve()
        if root.exists() and not root.is_dir():
            raise WbError(f"{path} is not a folder")
        ws = cls(root)
        created = db.file_problem(ws.db_path) is not None
        if not created or ws.id_path.exists() or ws.store.has_objects():
            ws.connect().close()  # raises what is wrong: a damaged workspace is never made anew
        ws.objects.root.mkdir(parents=True, exist_ok=True)
        if not ws.config_path.exists():
            ws.config_path.write_text(config_mod.DEFAULT_CONFIG_TEXT, encoding="utf-8")
        if created:
            ws.db_path.touch()  # connect() opens only an existing file
            with db.transaction(ws.conn) as conn:
                events.record(conn, "workspace.init", f"initialised workspace at {root}")
        return ws, created

    @classmethod
    def find(cls, explicit: str | os.PathLike | None = None, start: Path | None = None) -> Workspace:
        """The workspace named explicitly (or by WB_WORKSPACE), else the nearest one upward."""
        explicit = explicit or os.environ.get(ENV_VAR) or None
        if explicit:
            root = Path(explicit).expanduser().resolve()
            if _is_workspace(root):
                return cls(root)
            raise NotFound(f"{explicit} is not a wb workspace; run `wb init {explicit}` to make one there")
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if _is_workspace(folder):
                return cls(folder)
        raise NotFound(f"not inside a wb workspace (or any parent folder); {NOT_FOUND_HINT}")


def _is_workspace(folder: Path) -> bool:
    """A `.wb/` with a database, or with an identity (its database lost: refused when opened,
    never passed over for a workspace further up)."""
    wb_dir = folder / WB_DIR
    return (wb_dir / "wb.db").is_file() or (wb_dir / ID_FILE).is_file()


def check_new_place(path: Path, command: str) -> None:
    """Refuse a `path` that is a file, a wb workspace, or a folder with anything in it: where
    `command` (`wb demo`, `wb clone`) makes a workspace, it overwrites nothing. Exit 2."""
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise InvalidInput(
            f"{blocking} is a file, so {path} cannot be a folder; give `{command}` a new or empty folder"
        )
    if not path.exists():
        return
    if not path.is_dir():
        raise InvalidInput(
            f"{path} is a file, not a folder; `{command}` makes its workspace in a new or empty folder"
        )
    if (path / WB_DIR).exists():
        raise InvalidInput(
            f"{path} is already a wb workspace; `{command}` makes a new one, so give it a new or empty folder"
        )
    if any(path.iterdir()):
        raise InvalidInput(
            f"{path} is not empty; `{command}` makes its workspace in a new or empty folder, so that it "
            f"overwrites nothing"
        )


@contextmanager
def made_anew(path: Path, command: str) -> Iterator[Workspace]:
    """A new workspace at `path` (refused unless new or empty) for `command` to fill. Whatever
    fails inside, Ctrl-C included, removes everything made: the folder was new or empty, so all
    of it is ours."""
    check_new_place(path, command)
    root = path.resolve()
    existed = root.exists()
    ws = Workspace(root)
    try:
        ws, _ = Workspace.init(root)
        yield ws
    except BaseException:
        ws.close()
        _remove_contents(root, keep_folder=existed)
        raise
    ws.close()


def _remove_contents(root: Path, keep_folder: bool) -> None:
    if not keep_folder:
        shutil.rmtree(root, ignore_errors=True)
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
