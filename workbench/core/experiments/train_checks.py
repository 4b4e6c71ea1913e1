"""Every check `wb train` makes before its first run, for a training asked field by field
(train_request.Request), in the same words, each failure told against the field it is about,
so that a form launches nothing that `wb train` would refuse."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from ..errors import InvalidInput, WbError
from ..names import check_name
from ..storage.workspace import Workspace
from . import estimators, search, sweeps, training
from .train_request import DEFAULT_MODEL, Request


class FieldError(InvalidInput):
    """`wb train`'s sentence, and the field whose value it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


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
