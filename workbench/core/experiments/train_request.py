"""A training asked for field by field (the TUI's form), and the values it starts with. Light
to import (no data library): a form fills in at once; train_checks.py checks it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..data import contracts, datasets
from ..errors import WbError
from ..storage.workspace import Workspace

DEFAULT_MODEL = "lightgbm"


@dataclass(frozen=True)
class Request:
    """A training as the fields give it; params and sweep as `KEY=VALUE` items."""

    data: str = ""
    target: str = ""
    model: str = DEFAULT_MODEL
    experiment: str = ""
    params: tuple[str, ...] = ()
    sweep: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        """The same training as `wb train` arguments."""
        argv = ["--data", self.data, "--target", self.target, "--model", self.model or DEFAULT_MODEL]
        if self.experiment:
            argv += ["--experiment", self.experiment]
        argv += [a for p in self.params for a in ("--param", p)]
        return argv + [a for p in self.sweep for a in ("--sweep", p)]


def first_values(ws: Workspace) -> Request:
    """What a form starts with: the newest dataset's latest version, the column it is most
    likely trained to predict, lightgbm, and the experiment its last training went to."""
    row = ws.conn.execute(
        """SELECT d.name FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id
           GROUP BY d.id ORDER BY MAX(v.created_at) DESC, d.name LIMIT 1"""
    ).fetchone()
    if row is None:
        return Request()
    version = datasets.resolve(ws, row[0])
    target, experiment = _last_training(ws, version.name)
    return Request(data=version.ref, target=likely_target(ws, version, target), experiment=experiment)


def likely_target(ws: Workspace, version: datasets.DatasetVersion, trained: str = "") -> str:
    """The column its contract names the target (`role = "target"`), else the one the
    dataset's last training predicted (`trained`), else its last column, as tables put it."""
    columns = [c["name"] for c in version.schema]
    text = contracts.get_text(ws, version.name)
    if text:
        try:
            given, _key = contracts.roles(contracts.parse(text, f"the contract of {version.name}"))
        except WbError:  # a broken contract is `wb data validate`'s to tell
            given = {}
        named = [c for c, role in given.items() if role == "target" and c in columns]
        if named:
            return named[0]
    if trained in columns:
        return trained
    return columns[-1] if columns else ""


def _last_training(ws: Workspace, dataset: str) -> tuple[str, str]:
    """The target and experiment of the newest training run on any version of `dataset`."""
    row = ws.conn.execute(
        """SELECT r.spec, e.name FROM runs r JOIN experiments e ON e.id = r.experiment_id
           JOIN run_inputs i ON i.run_id = r.id
           WHERE i.dataset = ? AND r.kind = 'train' AND r.spec IS NOT NULL
           ORDER BY r.created_at DESC LIMIT 1""",
        (dataset,),
    ).fetchone()
    if row is None:
        return "", ""
    try:
        target = json.loads(row[0]).get("target", "")
    except (ValueError, AttributeError):
        target = ""
    return (target if isinstance(target, str) else ""), row[1]
