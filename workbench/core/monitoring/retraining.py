"""`wb watch --retrain`: keep the production models of a dataset up with its drops.

Each drop does two things for every model whose production version `wb train` made from this
dataset:
1. A pending challenger (a version newer than production) is judged on the drop, which neither
   model has seen: the production gates run with the drop as their data, and it is promoted
   only if it wins.
2. When the drop drifted or production's metric degraded on it, a new challenger is trained
   with production's own recipe (model, parameters, split, seed) on the drop (with the
   versions before it that `[retrain] window` asks for) and registered; the next drop judges
   it. Judging on the drop it was trained on would flatter it.
A drop that breaks its dataset's contract does neither (the watcher skips it). With `[retrain]
mode = "rollout"` the challenger is not judged on the next drop but rolled out at once (a
rollout on `[rollout] share` of `[rollout] segment`), and while a model's rollout is in progress
its outcomes decide: nothing is judged or retrained for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import events
from ..data.datasets import DatasetVersion
from ..errors import WbError
from ..experiments import runs
from ..models import registry
from ..models.records import ModelVersion
from ..storage.db import transaction
from ..storage.workspace import Workspace

ROLLOUT = "rollout"  # `[retrain] mode`: a retrained challenger starts a rollout, not a judge


@dataclass(frozen=True)
class Champion:
    model: str
    production: ModelVersion
    target: str

    @property
    def dataset(self) -> str:
        return (self.production.dataset or "").partition("@")[0]


def champions(ws: Workspace, dataset: str) -> list[Champion]:
    """The models whose production version `wb train` trained on a version of `dataset`."""
    found = [champion_of(ws, m.name) for m in registry.list_models(ws) if registry.PRODUCTION in m.aliases]
    return [c for c in found if c is not None and c.dataset == dataset]


def champion_of(ws: Workspace, model: str) -> Champion | None:
    """`model`'s production version, if `wb train` made it (so its recipe can be rerun)."""
    mv = registry.resolve(ws, f"{model}@{registry.PRODUCTION}")
    target = mv.artifact_meta.get("target")
    if not (mv.dataset and target) or runs.get(ws, mv.run_id).kind != "train":
        return None
    return Champion(model, mv, target)


def judge(ws: Workspace, champion: Champion, drop: DatasetVersion) -> str | None:
    """Promote the pending challenger if it beats production on `drop`; what happened. A
    person's promotion or rollback meanwhile wins: this one then moves nothing."""
    latest = registry.resolve(ws, champion.model)
    production = registry.resolve(ws, f"{champion.model}@{registry.PRODUCTION}")
    if latest.version <= production.version:
        return None
    try:
        result = registry.promote(
            ws,
            latest.ref,
            registry.PRODUCTION,
            data=drop.ref,
            reason=f"won on {drop.ref} (wb watch --retrain)",
        )
    except registry.AliasMoved as exc:
        return f"{latest.ref} was not judged on {drop.ref}: {exc}"
    if result.already:  # a person promoted it between this judge's look and its move
        return f"{latest.ref} was not judged on {drop.ref}: it is production already"
    if result.promoted:
        return f"{latest.ref} beat {production.ref} on {drop.ref}: promoted"
    failed = "; ".join(g.detail for g in result.gates if not g.passed)
    with transaction(ws.conn) as conn:
        events.record(
            conn, "model.challenge", f"{latest.ref} stays a challenger: {failed}", subject=champion.model
        )
    return f"{latest.ref} did not beat {production.ref} on {drop.ref}: {failed}"


def retrain(ws: Workspace, champion: Champion, drop: DatasetVersion) -> str:
    """A challenger trained like production, on the drop (and the versions before it that
    `[retrain] window` asks for); registered, not promoted."""
    from ..experiments import training

    info = runs.get(ws, champion.production.run_id)
    window = ws.config.retrain.window
    spec = training.TrainSpec(**{**(info.spec or {}), "data": drop.ref, "window": window})
    run_id = training.train(
        ws,
        spec,
        experiment=info.experiment,
        tags={"retrained_from": champion.production.ref, "trigger": "wb watch --retrain"},
    )
    challenger = registry.register(ws, run_id, champion.model)
    if ws.config.retrain.mode == ROLLOUT:
        from ..models import rollouts

        settings = ws.config.rollout
        rollout = rollouts.start(ws, challenger.ref, settings.segment, share=settings.share)
        return f"retrained {champion.model} on {drop.ref} as {challenger.ref}, rolled out on {rollout.split}"
    return f"retrained {champion.model} on {drop.ref} as {challenger.ref}, judged on the next drop"


def after_drop(
    ws: Workspace, drop: DatasetVersion, found: list[Champion], needs_retraining: bool
) -> list[str]:
    """Judge, then retrain if asked, for the champions `found` for the drop's dataset; a
    failure is a note (and an alert), not an exception: the watcher goes on to the next
    drop."""
    from ..models import rollouts
    from . import alerts

    if not found:
        return [f"no production model of {drop.name} was trained by `wb train`: nothing to judge or retrain"]
    columns = {c["name"] for c in drop.profile["columns"]}
    notes = []
    for champion in found:
        if champion.target not in columns:  # no labels: nothing to train or judge with
            notes.append(
                f"{drop.ref} has no {champion.target!r} column: {champion.model} is "
                f"neither judged nor retrained on it"
            )
            continue
        running = rollouts.active_of(ws.conn, champion.model)
        if running is not None:  # its outcomes decide, by `wb rollout stop`: no judge, no retraining
            notes.append(f"rollout {running.name} of {champion.model} is in progress: its outcomes decide")
            continue
        try:
            if ws.config.retrain.mode != ROLLOUT and (judged := judge(ws, champion, drop)) is not None:
                notes.append(judged)
            if needs_retraining:
                # Production may have just moved: retrain from the winner's recipe.
                winner = champion_of(ws, champion.model) or champion
                notes.append(retrain(ws, winner, drop))
        except WbError as exc:
            with transaction(ws.conn) as conn:
                alerts.raise_alert(
                    conn,
                    "retrain",
                    f"retraining {champion.model} on {drop.ref} failed: {exc}",
                    subject=champion.model,
                    link=alerts.AlertLink(model=champion.model, dataset=drop.ref),
                )
            notes.append(f"retraining {champion.model} failed: {exc}")
    return notes
