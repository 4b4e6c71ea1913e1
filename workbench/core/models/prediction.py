"""`wb predict MODELREF INPUT -o OUTPUT`: batch prediction with a registered model.

INPUT is a data file or a dataset reference (`sales@3`, `sales@reference`). An existing OUTPUT
is refused without `force`, before anything is read. The input is checked against the model's
input schema first (every missing or mistyped column named), then scored in batches of
BATCH_ROWS (the input itself is read whole). The output (CSV or Parquet, by its extension)
holds the input's columns and the predictions, and is written to a temp file renamed into
place, so a failed job leaves no half file. `rollout:NAME` scores each row with its segment's arm
of a rollout instead (rollout_scoring).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import events
from ..data import datasets
from ..errors import InvalidInput
from ..storage.db import transaction
from ..storage.workspace import Workspace
from . import registry, scoring
from .rollout_records import RolloutPrediction

BATCH_ROWS = 250_000
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
ROLLOUT_PREFIX = "rollout:"  # `wb predict rollout:NAME`: a rollout's arms score the rows


@dataclass(frozen=True)
class Prediction:
    """A batch scored: `wb predict --json`."""

    model: str  # the version that scored it, NAME@VERSION
    rows: int  # how many rows were scored (all of the input's)
    output: Path  # the file written
    input: str  # the dataset version's reference, or the input file as given

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "rows": self.rows, "output": str(self.output), "input": self.input}


def predict(
    ws: Workspace,
    ref: str,
    source: str | Path,
    dest: Path,
    force: bool = False,
    on_progress: Callable[[str, int | None, int | None], None] | None = None,
) -> Prediction | RolloutPrediction:
    """`on_progress(stage, done, total)` hears the stages, for a progress display: "loading"
    the input, "checking" it, "loading model", "scoring" (rows done of the input's), "writing"
    the output."""
    if ref.startswith(ROLLOUT_PREFIX):  # each row by its segment's arm: rollout_scoring
        from . import rollout_scoring

        return rollout_scoring.predict(ws, ref.removeprefix(ROLLOUT_PREFIX), source, dest, force, on_progress)

    def stage(name: str, done: int | None = None, total: int | None = None) -> None:
        if on_progress:
            on_progress(name, done, total)

    out_format = check_output(dest, force)
    mv = registry.resolve(ws, ref)
    stage("loading")
    label, df, version = datasets.load_ref_or_file(ws, str(source))
    stage("checking")
    scoring.check_fit(mv.schema, df, mv.ref, label)  # before the model is loaded
    stage("loading model")
    model = registry.load(ws, mv)
    result = scored(model, df, stage)
    stage("writing", df.height, df.height)
    write(result, dest, out_format)
    summary = Prediction(
        model=mv.ref,
        rows=result.height,
        output=dest,
        input=version.ref if version is not None else str(source),
    )
    if ws.read_only:  # scoring from a mounted backup works; it only goes unlogged
        return summary
    with transaction(ws.conn) as conn:
        shown = version.ref if version is not None else Path(source).name
        events.record(
            conn,
            "model.predict",
            f"predicted {result.height} rows of {shown} with {mv.ref} into {dest}",
            subject=mv.ref,
            data={
                "rows": result.height,
                "output": str(dest.resolve()),
                "input": version.ref if version is not None else str(Path(source).resolve()),
            },
        )
    return summary


def check_output(dest: Path, force: bool) -> str:
    """The format to write `dest` in, refusing (before anything is read) a path that is no
    .csv or .parquet file, a folder, in no folder, or an existing file without `force`."""
    out_format = OUTPUT_FORMATS.get(dest.suffix.lower())
    if out_format is None:
        raise InvalidInput(f"{dest}: write predictions to a .csv or .parquet file")
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder; give a file path with -o")
    if not dest.parent.is_dir():
        raise InvalidInput(f"folder {dest.parent} does not exist")
    if (dest.exists() or dest.is_symlink()) and not force:
        raise InvalidInput(f"{dest} already exists; pass --force to overwrite it")
    return out_format


def scored(model: scoring.LoadedModel, df: Any, stage: Callable[[str, int | None, int | None], None]) -> Any:
    """`df` with the model's `prediction` (and a classifier's `proba_CLASS` columns), scored in
    batches of BATCH_ROWS."""
    import polars as pl

    parts = []
    for start in range(0, df.height, BATCH_ROWS):
        stage("scoring", start, df.height)
        batch = df.slice(start, BATCH_ROWS)
        predicted, proba = model.predict(batch)
        columns = [pl.Series("prediction", predicted)]
        if proba is not None:
            columns += [pl.Series(f"proba_{c}", proba[:, i]) for i, c in enumerate(model.pipeline.classes_)]
        parts.append(batch.with_columns(columns))
    return pl.concat(parts) if parts else df.with_columns(pl.lit(None).alias("prediction"))


def write(result: Any, dest: Path, out_format: str) -> None:
    """Write a frame to a temp file renamed into place: a failed job leaves no half file."""
    tmp = dest.with_name(f".{dest.name}.wb-tmp")
    try:
        if out_format == "csv":
            result.write_csv(tmp)
        else:
            result.write_parquet(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
