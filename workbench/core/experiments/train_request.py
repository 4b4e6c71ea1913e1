"""A training asked for field by field (the TUI's form): the values it starts with, and every
check `wb train` makes before its first run, in the same words, each failure told against the
field it is about, so that nothing is launched that `wb train` would refuse."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..data import contracts, datasets
from ..errors import InvalidInput, WbError
from ..names import check_name
from ..storage.workspace import Workspace
from . import estimators, search, sweeps, training

DEFAULT_MODEL = "lightgbm"


class FieldError(InvalidInput):
    """`wb train`'s sentence, and the field whose value it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


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


@contextmanager
def _about(field: str) -> Iterator[None]:
    try:
        yield
    except FieldError:
        raise
    except WbError as exc:
        raise FieldError(field, str(exc)) from None


def check(ws: Workspace, request: Request) -> None:
    """What `wb train` checks before it creates a run, for every point of the sweep: the
    names, the parameters, the dataset version, the target, the model, and a trial fit of
    each point on a sample. Raises FieldError for the first problem. Reads the data (the
    seconds `wb train` spends on it too): call it off a UI thread."""
    with _about("experiment"):
        if request.experiment:
            check_name(request.experiment, "experiment")
    with _about("params"):
        params = sweeps.parse_params(request.params, "params")
    with _about("sweep"):
        space = sweeps.parse_space(request.sweep, "sweep")
        search.check("grid", space, None, False)
        points = sweeps.grid(space)  # type: ignore[arg-type]  # a grid has no ranges
    with _about("data"):
        if not request.data:
            raise InvalidInput("a dataset version is needed, e.g. sales@1")
        with warnings.catch_warnings():  # training on an INVALID version: allowed, as `wb train` does
            warnings.simplefilter("ignore")
            loaded = training.load(ws, request.data)
    with _about("model"):
        estimators.check_model(request.model or DEFAULT_MODEL)
    base = training.TrainSpec(data=request.data, target=request.target, model=request.model or DEFAULT_MODEL)
    with _about("target"):
        if not request.target:
            raise InvalidInput("a target column is needed")
        training.labelled(base, loaded)
    # A bad value is the sweep's when it sweeps that key, else the parameters'.
    for point in points:
        spec = replace(base, params={**params, **point})
        with _about("sweep" if point else "params"):
            training.prepare(ws, spec, loaded)


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
