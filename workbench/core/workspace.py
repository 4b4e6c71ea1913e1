"""A workspace: the `.wb/` folder that holds the database, the object store and the config.

Found like git finds a repository: an explicit path (`-w` or `WB_WORKSPACE`) or the nearest
folder at or above the current one that has a `.wb/`.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from . import config as config_mod
from . import db, events
from .errors import NotFound, WbError
from .store import ObjectStore

WB_DIR = ".wb"
ENV_VAR = "WB_WORKSPACE"
NOT_FOUND_HINT = "run `wb init` to make one here"


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
    def store(self) -> ObjectStore:
        return ObjectStore(self.wb_dir / "objects")

    @cached_property
    def config(self) -> dict[str, dict[str, Any]]:
        return config_mod.load(self.config_path)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = db.connect(self.db_path, self.wb_dir / "migrate.lock")
        return self._conn

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
        wb_dir = root / WB_DIR
        created = not (wb_dir / "wb.db").exists()
        (wb_dir / "objects").mkdir(parents=True, exist_ok=True)
        config_path = wb_dir / "config.toml"
        if not config_path.exists():
            config_path.write_text(config_mod.DEFAULT_CONFIG_TEXT, encoding="utf-8")
        ws = cls(root)
        if created:
            with db.transaction(ws.conn) as conn:
                events.record(conn, "workspace.init", f"initialised workspace at {root}")
        return ws, created

    @classmethod
    def find(cls, explicit: str | os.PathLike | None = None, start: Path | None = None) -> Workspace:
        """The workspace named explicitly (or by WB_WORKSPACE), else the nearest one upward."""
        explicit = explicit or os.environ.get(ENV_VAR) or None
        if explicit:
            root = Path(explicit).expanduser().resolve()
            if (root / WB_DIR / "wb.db").is_file():
                return cls(root)
            raise NotFound(f"{explicit} is not a wb workspace; run `wb init {explicit}` to make "
                           f"one there")
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / WB_DIR / "wb.db").is_file():
                return cls(folder)
        raise NotFound(f"not inside a wb workspace (or any parent folder); {NOT_FOUND_HINT}")
