"""Rollouts by segment: a challenger version serves some segments of the data (stores), the
champion (production, or `--against`) the rest, until the outcomes decide.

A segment goes to the challenger by a stable salted hash of its value (the salt is the rollout's
name, so two rollouts split the stores differently, and one always the same way) under `share`
percent, or by an explicit list. Starting checks the challenger as the promotion gates do
(artifact hash, schema, a safe load; its performance is what the rollout measures); a model has
at most one active rollout. Stopping promotes the challenger through the gates or rolls back,
keeping the champion. Every step is an event in the audit log. Scoring is rollout_scoring's,
outcomes and the verdict rollout_outcomes'.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from .. import events
from ..errors import InvalidInput, NotFound
from ..names import check_name, did_you_mean
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import gates, registry
from .records import ModelVersion
from .rollout_records import (
    ACTIVE,
    CHALLENGER,
    CHAMPION,
    PROMOTED,
    ROLLED_BACK,
    Rollout,
    RolloutBatch,
    RolloutEnd,
)

_SELECT = """
SELECT r.id, r.name, m.name AS model, r.champion, r.challenger, r.segment, r.share, r.segments,
       r.shadow, r.state, r.created_at, r.ended_at
FROM rollouts r JOIN models m ON m.id = r.model_id
"""


def _from_row(row: sqlite3.Row) -> Rollout:
    return Rollout(
        row["name"],
        row["model"],
        row["champion"],
        row["challenger"],
        row["segment"],
        row["share"],
        tuple(json.loads(row["segments"])),
        bool(row["shadow"]),
        row["state"],
        row["created_at"],
        row["ended_at"],
    )


def start(
    ws: Workspace,
    ref: str,
    segment: str,
    share: float | None = None,
    segments: list[str] | None = None,
    against: str | None = None,
    shadow: bool = False,
    name: str | None = None,
) -> Rollout:
    """Put the challenger `ref` on `share` percent of the values of column `segment` (or on
    the listed `segments`) beside the champion: `against`, else the model's production."""
    if segments:
        segments = [s.strip() for s in segments if s.strip()]
    if not segments and share is None:
        raise InvalidInput("say which segments the challenger gets: --share PCT or --segments V1,V2")
    if share is not None and not 0 < share <= 100:
        raise InvalidInput(f"--share is a percent of the segments, above 0 and at most 100, not {share:g}")
    challenger = registry.resolve(ws, ref)
    champion = _champion(ws, challenger, against)
    name = check_name(name or f"{challenger.name}-{challenger.version}", "rollout")
    _check_segment(ws, challenger, segment)
    refused = [
        g
        for g in gates.gates_for(ws, challenger, None, None, production=True)
        if g.name != "performance" and not g.passed  # its performance is what the rollout measures
    ]
    if refused:
        raise InvalidInput(f"{challenger.ref} cannot be rolled out: {refused[0].name}: {refused[0].detail}")
    now = now_iso()
    with transaction(ws.conn) as conn:
        if conn.execute("SELECT 1 FROM rollouts WHERE name = ?", (name,)).fetchone():
            raise InvalidInput(f"a rollout named {name!r} exists already; pass --name with another name")
        running = active_of(conn, challenger.name)
        if running is not None:
            raise InvalidInput(
                f"{challenger.name} has a rollout in progress already ({running.name}: "
                f"{running.ref(CHALLENGER)} against {running.ref(CHAMPION)}); end it with "
                f"`wb rollout stop {running.name} --promote` or `--rollback` first"
            )
        model_id = conn.execute("SELECT id FROM models WHERE name = ?", (challenger.name,)).fetchone()[0]
        conn.execute(
            "INSERT INTO rollouts (name, model_id, champion, challenger, segment, share, segments, "
            "shadow, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                model_id,
                champion.version,
                challenger.version,
                segment,
                None if segments else share,
                json.dumps(segments or []),
                shadow,
                ACTIVE,
                now,
            ),
        )
        rollout = get(ws, name)
        events.record(
            conn,
            "rollout.start",
            f"started rollout {name}: {challenger.ref} on {rollout.split} against {champion.ref}"
            + (" (shadow: the champion's predictions are published)" if shadow else ""),
            subject=name,
            data=rollout.to_dict(),
        )
    return rollout


def _champion(ws: Workspace, challenger: ModelVersion, against: str | None) -> ModelVersion:
    if against is None:
        try:
            champion = registry.resolve(ws, f"{challenger.name}@{registry.PRODUCTION}")
        except NotFound:
            raise InvalidInput(
                f"{challenger.name} has no production version to roll {challenger.ref} out "
                f"against; pass --against MODELREF"
            ) from None
    else:
        champion = registry.resolve(ws, against)
    if champion.name != challenger.name:
        raise InvalidInput(
            f"a rollout compares versions of one model: {champion.ref} is not a version of {challenger.name}"
        )
    if champion.version == challenger.version:
        raise InvalidInput(f"{challenger.ref} is the champion already: roll out another version")
    return champion


def _check_segment(ws: Workspace, mv: ModelVersion, segment: str) -> None:
    """The segment column must be one the model's data has: its inputs, or a column of the
    dataset it was trained on."""
    from ..data import datasets

    known = [c["name"] for c in mv.schema]
    dataset = (mv.dataset or "").partition("@")[0]
    if dataset:
        known += [c["name"] for c in datasets.resolve(ws, dataset).schema if c["name"] not in known]
    if segment not in known:
        raise InvalidInput(
            f"{segment!r} is no column of {mv.ref}'s data{did_you_mean(segment, known, ' (', ')')}: "
            f"--segment names the column whose values are the segments, e.g. store_id"
        )


# -- reading ------------------------------------------------------------------------------
def get(ws: Workspace, name: str) -> Rollout:
    row = ws.conn.execute(_SELECT + " WHERE r.name = ?", (name,)).fetchone()
    if row is None:
        known = [r[0] for r in ws.conn.execute("SELECT name FROM rollouts ORDER BY name")]
        raise NotFound(
            f"no rollout named {name!r}{did_you_mean(name, known, ' (', ')')}; `wb rollout list` shows them"
        )
    return _from_row(row)


def get_active(ws: Workspace, name: str) -> Rollout:
    """A rollout that is still running; one that ended is an error saying how it ended."""
    rollout = get(ws, name)
    if rollout.state != ACTIVE:
        ended = "promoted its challenger" if rollout.state == PROMOTED else "rolled back"
        raise InvalidInput(
            f"rollout {name} ended ({ended}, {rollout.ended_at}); score with "
            f"{rollout.model}@{registry.PRODUCTION} or start another rollout"
        )
    return rollout


def list_rollouts(ws: Workspace) -> list[Rollout]:
    """Every rollout, the newest first."""
    return [_from_row(r) for r in ws.conn.execute(_SELECT + " ORDER BY r.id DESC")]


def active_of(conn: sqlite3.Connection, model: str) -> Rollout | None:
    """The model's rollout in progress, if any."""
    row = conn.execute(_SELECT + " WHERE m.name = ? AND r.state = ?", (model, ACTIVE)).fetchone()
    return None if row is None else _from_row(row)


def batches(ws: Workspace, name: str) -> list[RolloutBatch]:
    """The rollout's log, oldest first: each batch scored by its arms and each set of outcomes."""
    rows = ws.conn.execute(
        "SELECT kind, source, champion_rows, challenger_rows, created_at FROM rollout_batches "
        "WHERE rollout_id = ? ORDER BY id",
        (rollout_id(ws.conn, get(ws, name).name),),
    )
    return [RolloutBatch(r[0], r[1], {CHAMPION: r[2], CHALLENGER: r[3]}, r[4]) for r in rows]


def rollout_id(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute("SELECT id FROM rollouts WHERE name = ?", (name,)).fetchone()[0])


# -- assignment ---------------------------------------------------------------------------
def on_challenger(rollout: Rollout, value: Any) -> bool:
    """Whether the segment `value` is the challenger's: listed, or its salted hash under the
    share. The same value always lands in the same arm of a rollout."""
    text = str(value)
    if rollout.segments:
        return text in rollout.segments
    digest = hashlib.sha256(f"{rollout.name}\0{text}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64 * 100  # uniform in [0, 100)
    return position < (rollout.share or 0)


def challenger_mask(rollout: Rollout, df: Any) -> Any:
    """A boolean Series over `df`'s rows: those whose segment is the challenger's (each distinct
    value hashed once, so a million rows of ten stores cost ten hashes)."""
    import polars as pl

    if rollout.segment not in df.columns:
        raise InvalidInput(
            f"the data has no column {rollout.segment!r}, the segment of rollout {rollout.name}"
        )
    values = df.get_column(rollout.segment).cast(pl.String)
    mine = [v for v in values.unique().to_list() if on_challenger(rollout, "" if v is None else v)]
    return values.fill_null("").is_in(mine)


# -- ending -------------------------------------------------------------------------------
def stop(ws: Workspace, name: str, *, promote: bool) -> RolloutEnd:
    """End a rollout: promote its challenger to production through the gates (a refusal ends
    nothing), or roll back: the champion stays, the challenger serves no more segments."""
    rollout = get_active(ws, name)
    challenger, champion = rollout.ref(CHALLENGER), rollout.ref(CHAMPION)
    checks: tuple[dict[str, Any], ...] = ()
    if promote:
        result = registry.promote(ws, challenger, registry.PRODUCTION, reason=f"won rollout {name}")
        if not (result.promoted or result.already):
            failed = "; ".join(f"{g.name}: {g.detail}" for g in result.gates if not g.passed)
            raise InvalidInput(
                f"{challenger} did not pass the gates to production ({failed}); rollout {name} goes on"
            )
        checks = tuple(g.to_dict() for g in result.gates)
    state = PROMOTED if promote else ROLLED_BACK
    with transaction(ws.conn) as conn:
        conn.execute("UPDATE rollouts SET state = ?, ended_at = ? WHERE name = ?", (state, now_iso(), name))
        events.record(
            conn,
            f"rollout.{'promote' if promote else 'rollback'}",
            f"ended rollout {name}: "
            + (f"{challenger} promoted to production" if promote else f"rolled back, {champion} stays"),
            subject=name,
            data={"challenger": challenger, "champion": champion},
        )
    production = registry.alias_target(ws, rollout.model, registry.PRODUCTION)
    return RolloutEnd(name, state, f"{rollout.model}@{production}", checks)
