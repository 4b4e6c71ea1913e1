"""A rollout's outcomes and verdict: `wb rollout outcomes` and `wb rollout status`.

Outcomes (labels that arrive later) are joined to what each arm predicted for those rows, by
the segment and a key (`--key`; by default every identifying column the predictions logged that
the outcomes have too). Each joined set is kept as a parquet object; a row labelled once keeps
its first label. The status compares the arms on their labelled rows: rmse for regressors,
roc_auc for two classes (accuracy beyond), the difference challenger minus champion with a 95%
bootstrap interval (rows taken as independent: a seeded resampling of blocks of rows), and the
verdict of `[rollout]`:
- "collecting": an arm has fewer than `min_labelled` labelled rows;
- "rollback": the challenger is worse by more than `guardrail` (a fraction of the champion's
  metric), the interval clear of zero;
- "promote": it is better by at least `margin`, the interval clear of zero;
- "hold": neither; more outcomes may decide.
A verdict of promote or rollback reached by new outcomes is an alert (linked to the rollout);
acting on it is `wb rollout stop`, a person's call.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from .. import events, metrics
from ..config import RolloutSettings
from ..data import datasets
from ..data.datasets import DatasetVersion
from ..errors import InvalidInput
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import registry, rollouts
from .rollout_records import (
    ACTIVE,
    ARMS,
    CHALLENGER,
    CHAMPION,
    COLLECTING,
    HOLD,
    PROMOTE,
    ROLLBACK,
    ArmStatus,
    Difference,
    Outcomes,
    Rollout,
    RolloutStatus,
)
from .rollout_scoring import ARM, PREDICTIONS, VERSION

OUTCOMES = "outcomes"  # a joined set's kind in rollout_batches
OUTCOME = "outcome"  # the label's column in a joined set
DRAWS, BLOCKS, SEED = 1000, 500, 0  # the bootstrap: resamples, blocks of rows, its seed
AUC_ROWS, AUC_DRAWS = 20_000, 200  # roc_auc's interval: rows sampled per arm, resamples


class NothingToJoin(InvalidInput):
    """Outcomes that join no prediction of the rollout (or it has scored nothing yet)."""


def _objects(ws: Workspace, rollout_id: int, kind: str, columns: list[str] | None = None) -> Any:
    """The rollout's logged frames of `kind`, concatenated (None when there are none)."""
    import polars as pl

    oids = [
        r[0]
        for r in ws.conn.execute(
            "SELECT oid FROM rollout_batches WHERE rollout_id = ? AND kind = ? ORDER BY id",
            (rollout_id, kind),
        )
    ]
    frames = [pl.read_parquet(io.BytesIO(ws.store.read_verified(o)), columns=columns) for o in oids]
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def add_outcomes(
    ws: Workspace, name: str, source: str | Path, target: str, key: list[str] | None = None
) -> Outcomes:
    """Join the labels of `source` (a file or dataset version) to the arms' predictions."""
    import polars as pl

    rollout = rollouts.get(ws, name)
    rid = rollouts.rollout_id(ws.conn, name)
    label, df, _ = datasets.load_ref_or_file(ws, str(source))
    if target not in df.columns:
        raise InvalidInput(f"{label} has no column {target!r} with the outcomes (--target)")
    predicted = _objects(ws, rid, PREDICTIONS)
    if predicted is None:
        raise NothingToJoin(
            f"rollout {name} has scored nothing yet: `wb predict rollout:{name} INPUT -o OUTPUT`"
        )
    logged = [
        c for c in predicted.columns if c not in (ARM, VERSION, "prediction") and not c.startswith("proba_")
    ]
    if key:
        lacking = [c for c in key if c not in df.columns or c not in logged]
        if lacking:
            raise InvalidInput(
                f"--key {lacking[0]!r} is not a column of both {label} and the logged predictions "
                f"(they keep {', '.join(logged)})"
            )
    columns = [
        rollout.segment,
        *[c for c in (key or logged) if c != rollout.segment and c in df.columns and c != target],
    ]
    if rollout.segment not in df.columns:
        raise InvalidInput(f"{label} has no column {rollout.segment!r}, the segment of rollout {name}")
    labels = df.filter(pl.col(target).is_not_null()).select(
        *[pl.col(c).cast(pl.String) for c in columns], pl.col(target).alias(OUTCOME)
    )
    if labels.select(columns).is_duplicated().any():
        raise InvalidInput(
            f"{', '.join(columns)} does not identify the rows of {label} (some share one); pass --key "
            f"with the columns that do, e.g. --key date,store_id,item_id"
        )
    predicted = predicted.with_columns(pl.col(c).cast(pl.String) for c in columns)
    # A row scored again (the same input twice) counts once: by its latest prediction.
    predicted = predicted.unique(subset=[ARM, *columns], keep="last", maintain_order=True)
    joined = predicted.join(labels, on=columns, how="inner")
    if joined.height == 0:
        raise NothingToJoin(
            f"none of the {labels.height:,} labelled rows of {label} joins a prediction of rollout "
            f"{name} on {', '.join(columns)}: outcomes come from rows `wb predict rollout:{name}` scored"
        )
    earlier = _objects(ws, rid, OUTCOMES, [ARM, *columns])
    if earlier is not None:
        earlier = earlier.with_columns(pl.col(c).cast(pl.String) for c in columns)
        new = joined.join(earlier, on=[ARM, *columns], how="anti")
    else:
        new = joined
    unmatched = labels.join(predicted.select(columns).unique(), on=columns, how="anti").height
    counts = {arm: new.filter(pl.col(ARM) == arm).height for arm in ARMS}
    result = Outcomes(name, label, tuple(columns), counts, unmatched, joined.height - new.height)
    if new.height == 0:
        return result  # every row was labelled before: nothing new to keep
    buffer = io.BytesIO()
    new.write_parquet(buffer)
    oid, _ = ws.store.put_bytes(buffer.getvalue())
    before = status(ws, name).verdict
    with transaction(ws.conn) as conn:
        conn.execute(
            "INSERT INTO rollout_batches (rollout_id, kind, oid, source, input_hash, champion_rows, "
            "challenger_rows, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, OUTCOMES, oid, label, oid, counts[CHAMPION], counts[CHALLENGER], now_iso()),
        )
        events.record(
            conn,
            "rollout.outcomes",
            f"rollout {name}: outcomes of {Path(label).name} joined to "
            f"{counts[CHAMPION]:,} champion and {counts[CHALLENGER]:,} challenger rows",
            subject=name,
            data={"joined": counts, "unmatched": unmatched, "outcomes": oid},
        )
    _tell(ws, rollout, before)
    return result


def join_drop(ws: Workspace, drop: DatasetVersion) -> list[str]:
    """The watcher's part: a drop with the labels of an active rollout's model (its target and
    segment columns) is that rollout's outcomes. What happened, as notes; a drop that joins no
    prediction is no news."""
    columns = {c["name"] for c in drop.profile["columns"]}
    notes = []
    for rollout in rollouts.list_rollouts(ws):
        target = registry.resolve(ws, rollout.ref(CHAMPION)).target
        if rollout.state != ACTIVE or not target or not {target, rollout.segment} <= columns:
            continue
        try:
            joined = add_outcomes(ws, rollout.name, drop.ref, target)
        except NothingToJoin:
            continue
        except InvalidInput as exc:
            notes.append(f"the outcomes of rollout {rollout.name} in {drop.ref} were not joined: {exc}")
            continue
        notes.append(
            f"joined {sum(joined.joined.values()):,} outcomes to rollout {rollout.name}: "
            f"{status(ws, rollout.name).verdict}"
        )
    return notes


def _tell(ws: Workspace, rollout: Rollout, before: str) -> None:
    """An alert (and event) when new outcomes brought the rollout to a verdict to act on."""
    from ..monitoring import alerts

    now = status(ws, rollout.name)
    if now.verdict == before or now.verdict not in (PROMOTE, ROLLBACK) or rollout.state != ACTIVE:
        return
    act = "promote" if now.verdict == PROMOTE else "rollback"
    with transaction(ws.conn) as conn:
        alerts.raise_alert(
            conn,
            "rollout",
            f"rollout {rollout.name}: {now.verdict} ({now.why}); `wb rollout stop {rollout.name} --{act}`",
            subject=rollout.name,
            severity="critical" if now.verdict == ROLLBACK else "info",
            link=alerts.AlertLink(model=rollout.model, rollout=rollout.name),
        )


def status(ws: Workspace, name: str) -> RolloutStatus:
    """Each arm's rows, labelled rows and metric; their difference, its interval, the verdict."""
    import numpy as np
    import polars as pl

    rollout = rollouts.get(ws, name)
    rid = rollouts.rollout_id(ws.conn, name)
    task = registry.resolve(ws, rollout.ref(CHALLENGER)).task
    predicted = _objects(ws, rid, PREDICTIONS, [ARM, rollout.segment])
    outcomes = _objects(ws, rid, OUTCOMES)
    metric = metrics.primary(task)
    if task != "regression" and outcomes is not None and len(_proba(outcomes)) != 2:
        metric = "accuracy"
    rng = np.random.default_rng(SEED)
    arms, draws = [], {}  # draws: each arm's bootstrap draws of its metric (Any: numpy)
    for arm in ARMS:
        mine = predicted.filter(pl.col(ARM) == arm) if predicted is not None else None
        labelled = outcomes.filter(pl.col(ARM) == arm) if outcomes is not None else None
        value, draw = (
            _measure(metric, labelled, rng) if labelled is not None and labelled.height else (None, None)
        )
        draws[arm] = draw
        served = (
            mine.get_column(rollout.segment).cast(pl.String).fill_null("").unique().sort().to_list()
            if mine is not None
            else []
        )
        arms.append(
            ArmStatus(
                arm,
                rollout.version(arm),
                len(served),
                mine.height if mine is not None else 0,
                labelled.height if labelled is not None else 0,
                metric,
                value,
                tuple(served),
            )
        )
    champion, challenger = arms
    difference = Difference(None, None, None)
    if champion.value is not None and challenger.value is not None:
        spread = np.asarray(draws[CHALLENGER]) - np.asarray(draws[CHAMPION])
        low, high = np.nanpercentile(spread, [2.5, 97.5])
        difference = Difference(challenger.value - champion.value, float(low), float(high))
    verdict, why = decide(ws.config.rollout, metric, champion, challenger, difference)
    return RolloutStatus(rollout, tuple(arms), difference, verdict, why)


def _proba(df: Any) -> list[str]:
    return [c for c in df.columns if c.startswith("proba_")]


def _measure(metric: str, df: Any, rng: Any) -> tuple[float, Any]:
    """The metric on an arm's labelled rows and its bootstrap draws."""
    import numpy as np

    if metric == "roc_auc":
        positive = _proba(df)[1]  # the second class: what roc_auc scores
        label = positive.removeprefix("proba_").lower()
        y = np.asarray([str(v).lower() == label for v in df.get_column(OUTCOME).to_list()])
        return _auc_with_draws(df.get_column(positive).to_numpy().astype(float), y, rng)
    if metric == "accuracy":
        hit = (
            (df.get_column("prediction").cast(str) == df.get_column(OUTCOME).cast(str))
            .to_numpy()
            .astype(float)
        )
        draws = _ratio_draws(hit, np.ones_like(hit), rng)
        return float(hit.mean()), draws
    y = df.get_column(OUTCOME).to_numpy().astype(float)
    predicted = df.get_column("prediction").to_numpy().astype(float)
    value = metrics.regression(y, predicted)[metric]
    error = (predicted - y) ** 2
    return value, np.sqrt(_ratio_draws(error, np.ones_like(error), rng))


def _ratio_draws(num: Any, den: Any, rng: Any) -> Any:
    """Bootstrap draws of sum(num) / sum(den): the rows dealt into up to BLOCKS blocks (every
    BLOCKS-th row together, so a block spans the data), the blocks resampled with
    replacement. A million rows cost a 1000 x 500 product, not a million-row resample."""
    import numpy as np

    k = min(len(num), BLOCKS)
    block = np.arange(len(num)) % k
    nums, dens = np.bincount(block, num, k), np.bincount(block, den, k)
    weights = rng.multinomial(k, np.full(k, 1 / k), size=DRAWS)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ nums) / (weights @ dens)


def _auc_with_draws(score: Any, y: Any, rng: Any) -> tuple[float, Any]:
    """ROC AUC (ties count half) on every row, and draws of it with Poisson weights on up to
    AUC_ROWS rows."""
    import numpy as np

    value = _weighted_auc(score, y, np.ones_like(score))
    if len(score) > AUC_ROWS:
        keep = rng.choice(len(score), AUC_ROWS, replace=False)
        score, y = score[keep], y[keep]
    draws = np.array([_weighted_auc(score, y, rng.poisson(1.0, len(score))) for _ in range(AUC_DRAWS)])
    return value, draws


def _weighted_auc(score: Any, y: Any, w: Any) -> float:
    import numpy as np

    _, group = np.unique(score, return_inverse=True)
    pos = np.bincount(group, w * y)
    neg = np.bincount(group, w * ~y)
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float((pos * (below + neg / 2)).sum() / total) if total else math.nan


def decide(
    settings: RolloutSettings, metric: str, champion: ArmStatus, challenger: ArmStatus, difference: Difference
) -> tuple[str, str]:
    """The verdict and why (the rules are in this module's docstring)."""
    need = settings.min_labelled
    short = [a for a in (champion, challenger) if a.labelled < need]
    if short or champion.value is None or challenger.value is None or difference.low is None:
        labelled = " and ".join(f"{a.arm} {a.labelled:,}" for a in (champion, challenger))
        return COLLECTING, f"labelled rows: {labelled}, of the {need:,} each arm needs"
    worse = metrics.worse_by(metric, challenger.value, champion.value)
    clear = difference.low > 0 or (difference.high is not None and difference.high < 0)
    said = (
        f"{metric} {challenger.value:.4g} vs {champion.value:.4g}, "
        f"{abs(worse):.1%} {'worse' if worse > 0 else 'better'}"
    )
    if worse > settings.guardrail and clear:
        return ROLLBACK, f"{said}: past the {settings.guardrail:.0%} guardrail"
    if -worse >= settings.margin and clear:
        return PROMOTE, f"{said}: beyond the {settings.margin:.0%} margin, the interval clear of zero"
    if not clear:
        return HOLD, f"{said}: the interval includes zero"
    return HOLD, f"{said}: within the {settings.margin:.0%} margin and the {settings.guardrail:.0%} guardrail"
