"""`wb predict rollout:NAME INPUT -o OUTPUT`: each row scored by its segment's arm.

Each model scores only its own rows (with `shadow`, the champion scores every row and the
challenger its segments' rows too, unpublished). The output is the input with the predictions,
`arm` and `model_version`, in the input's order. Each batch is logged: its input's hash, the
rows per arm, and what each arm predicted, kept as a parquet object in the store (the input's
identifying columns, those that are not floats, beside the predictions) for outcomes to join.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import events
from ..data import datasets
from ..storage import hashing
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import prediction, registry, rollouts, scoring
from .rollout_records import CHALLENGER, CHAMPION, RolloutPrediction

ARM, VERSION = "arm", "model_version"  # the columns the output gains
PREDICTIONS = "predictions"  # a logged batch's kind in rollout_batches (outcomes: "outcomes")
_ROW = "__wb_row"


def predict(
    ws: Workspace,
    name: str,
    source: str | Path,
    dest: Path,
    force: bool = False,
    on_progress: Callable[[str, int | None, int | None], None] | None = None,
) -> RolloutPrediction:
    import polars as pl

    def stage(what: str, done: int | None = None, total: int | None = None) -> None:
        if on_progress:
            on_progress(what, done, total)

    out_format = prediction.check_output(dest, force)
    rollout = rollouts.get_active(ws, name)
    stage("loading")
    label, df, version = datasets.load_ref_or_file(ws, str(source))
    stage("checking")
    mask = rollouts.challenger_mask(rollout, df)
    versions = {arm: registry.resolve(ws, rollout.ref(arm)) for arm in (CHAMPION, CHALLENGER)}
    for mv in versions.values():
        scoring.check_fit(mv.schema, df, mv.ref, label)  # before either model is loaded
    stage("loading model")
    models = {arm: registry.load(ws, mv) for arm, mv in versions.items()}
    df = df.with_row_index(_ROW)
    rows = {CHAMPION: df if rollout.shadow else df.filter(~mask), CHALLENGER: df.filter(mask)}
    parts = {
        arm: prediction.scored(models[arm], part, stage).with_columns(
            pl.lit(arm).alias(ARM), pl.lit(versions[arm].version).alias(VERSION)
        )
        for arm, part in rows.items()
    }
    if rollout.shadow:
        published = parts[CHAMPION]
    else:
        published = pl.concat(list(parts.values()), how="diagonal_relaxed").sort(_ROW)
    logged = _logged(df, parts, rollout.segment)
    stage("writing", df.height, df.height)
    buffer = io.BytesIO()
    logged.write_parquet(buffer)
    oid, _ = ws.store.put_bytes(buffer.getvalue())  # first: a batch row never names a missing object
    prediction.write(published.drop(_ROW), dest, out_format)
    counts = {arm: part.height for arm, part in parts.items()}
    shown = version.ref if version is not None else str(source)
    with transaction(ws.conn) as conn:
        cursor = conn.execute(
            "INSERT INTO rollout_batches (rollout_id, kind, oid, source, input_hash, champion_rows, "
            "challenger_rows, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rollouts.rollout_id(conn, name),
                PREDICTIONS,
                oid,
                shown,
                version.hash if version is not None else hashing.hash_file(Path(source)),
                counts[CHAMPION],
                counts[CHALLENGER],
                now_iso(),
            ),
        )
        batch = int(cursor.lastrowid or 0)
        events.record(
            conn,
            "rollout.predict",
            f"rollout {name} scored {df.height:,} rows of {Path(shown).name}: {counts[CHAMPION]:,} by "
            f"{rollout.ref(CHAMPION)}, {counts[CHALLENGER]:,} by {rollout.ref(CHALLENGER)}"
            + (" (shadow, unpublished)" if rollout.shadow else "")
            + f" into {dest}",
            subject=name,
            data={"batch": batch, "rows": counts, "output": str(dest.resolve()), "predictions": oid},
        )
    return RolloutPrediction(name, published.height, counts, dest, shown, batch)


def _logged(df: Any, parts: dict[str, Any], segment: str) -> Any:
    """What each arm predicted, one row per (arm, input row): the input's identifying columns
    (the segment and every column that is not a float: dates, ids, codes; outcomes join on
    them) beside the arm, the version and the prediction columns."""
    import polars as pl

    keys = [c for c, t in df.schema.items() if c == segment or (c != _ROW and not t.is_float())]
    return pl.concat(
        [
            p.select(
                *keys, ARM, VERSION, *[c for c in p.columns if c == "prediction" or c.startswith("proba_")]
            )
            for p in parts.values()
        ],
        how="diagonal_relaxed",
    )
