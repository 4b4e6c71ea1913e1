"""`wb demo`: a workspace that tells the sample data's story, built with wb's own functions.

`sales@1` is the reference period (`sales@reference`), with a contract inferred from it; a
LightGBM champion trained on it is `demand@1`, in production. Weeks 1 to 6 arrive as
`sales@2` .. `sales@7`, each drift-checked against `sales@1` with the champion scoring it and
its labels (weeks 5 and 6 drift and raise alerts; the contract flags the new category and the
missing temperatures).
A small sweep retrained on week 5 (`sales@6`) gives a challenger, `demand@2`, registered but not
promoted: promoting it through the gates, which judge it on week 6 that neither model has seen,
is left to the user. The challenger scores week 6 too (`wb model history demand` shows it beside
the champion there), and it is rolled out meanwhile to the east region's stores (rollout
`spring`): week 6 scored by the arms and its outcomes joined, the verdict still to come.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Caution, WbError
from .monitoring.batch import batch as drift_batch
from .names import plural, short_id
from .storage.workspace import Workspace, made_anew

if TYPE_CHECKING:
    from .monitoring.records import DriftReport

DEFAULT_PATH = Path("wb-demo")
DATASET = "sales"
REFERENCE = "reference"  # the alias of the reference period, as `wb data tag` makes it
MODEL = "demand"
TARGET = "units_sold"
EXPERIMENT = "demand"
# The champion validates on the newest fifth of the reference's days, as a forecast would.
CHAMPION_SPLIT = "time:date"
# The challenger's sweep: small, so that the runs screen has a few runs to compare.
CHALLENGER_SWEEP = {"num_leaves": [15, 31, 63]}
CONTRACT_FILE = f"{DATASET}.toml"  # in the workspace's folder, to read and edit
# The rollout left in progress: the challenger on one store group, the east region's stores.
ROLLOUT, ROLLOUT_SEGMENT, ROLLOUT_GROUP = "spring", "region", "east"


@dataclass
class Summary:
    """What `build` made: enough for the CLI's summary and for a script (`--json`)."""

    workspace: str
    dataset: str
    versions: int
    contract_violations: dict[str, int]  # version ref -> violations (versions that broke it)
    model: str
    production: int
    challenger: int
    champion_run: str
    challenger_runs: list[str]
    reports: list[dict[str, Any]] = field(default_factory=list)
    open_alerts: int = 0
    rollout: str = ""  # the rollout left in progress
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# How the build goes, for a progress display: (what it does now, stages done, stages in all).
OnProgress = Callable[[str, int, int], None]


class _Stages:
    """The build's stages as a progress display counts them, each announced as it begins."""

    def __init__(self, on_progress: OnProgress | None, total: int) -> None:
        self.on_progress, self.done, self.total = on_progress, -1, total

    def begin(self, what: str) -> None:
        self.done += 1
        self.show(what)

    def show(self, what: str) -> None:
        if self.on_progress:
            self.on_progress(what, self.done, self.total)

    def training(self, what: str) -> Callable[[str, int | None, int | None], None]:
        """A training's own progress (its boosting rounds) within the stage `what`."""

        def heard(stage: str, done: int | None, total: int | None) -> None:
            self.show(f"{what}: round {done}/{total}" if stage == "fitting" and done else what)

        return heard


def build(
    path: Path = DEFAULT_PATH,
    on_step: Callable[[str], None] | None = None,
    on_progress: OnProgress | None = None,
) -> Summary:
    """Make the demo workspace at `path` (new or empty). A failure removes what was made.
    `on_step` hears each step done, in a sentence; `on_progress` each stage as it begins."""
    step = on_step or (lambda message: None)
    started = time.perf_counter()
    # Every week is checked against the same reference through the same model: batched.
    with made_anew(path, "wb demo") as ws, drift_batch():
        summary = _fill(ws, step, on_progress)
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _verdict(report: DriftReport) -> str:
    drifted = report.drifted
    moved = f"{len(drifted)} of {report.n_features} features moved" + (
        f": {', '.join(drifted)}" if drifted else ""
    )
    text = ("DATASET DRIFT" if report.dataset_drift else "no dataset drift") + f" ({moved})"
    perf = report.performance
    if perf is not None and perf.current is not None:
        text += f"; {MODEL}@production rmse {perf.current:.3f}"
        if perf.degradation is not None:
            text += f" ({perf.degradation:+.0%}{', DEGRADED' if perf.degraded else ''})"
    return text


def _fill(ws: Workspace, step: Callable[[str], None], on_progress: OnProgress | None) -> Summary:
    from .data import contracts, datasets, sample_data, validation
    from .experiments import runs, training
    from .experiments.sweeps import grid
    from .models import registry
    from .monitoring import alerts, drift

    points = grid(CHALLENGER_SWEEP)
    # The drops, the reference, the champion, each week, each challenger, its check, the rollout.
    stages = _Stages(on_progress, 3 + sample_data.N_DROPS + len(points) + 2)
    stages.begin("writing the sample drops")
    drops = sample_data.generate(ws.root / "drops")
    step(f"wrote the sample drops to {ws.root / 'drops'}")
    reference, weeks = drops[0], drops[1:]

    stages.begin(f"adding {reference.name}, the reference period")
    first = datasets.add(ws, reference, DATASET, "reference period (8 weeks)").version
    contract = ws.root / CONTRACT_FILE
    contract.write_text(validation.infer(ws, first), encoding="utf-8")
    contracts.set_contract(ws, DATASET, contract.read_text(encoding="utf-8"), str(contract))
    validation.check(ws, first.ref)  # so that `wb data log` shows it valid, as the weeks are
    datasets.tag(ws, first.ref, REFERENCE)  # what `wb watch` checks each drop against
    step(
        f"added {first.ref} ({first.rows:,} rows) as {DATASET}@{REFERENCE}; set the contract "
        f"inferred from it ({CONTRACT_FILE})"
    )

    what = f"training the champion on {first.ref}"
    stages.begin(what)
    champion_run = training.train(
        ws,
        training.TrainSpec(data=first.ref, target=TARGET, split=CHAMPION_SPLIT),
        experiment=EXPERIMENT,
        tags={"demo": "champion"},
        on_progress=stages.training(what),
    )
    champion = registry.register(ws, champion_run, MODEL)
    promotion = registry.promote(ws, champion.ref, registry.PRODUCTION)
    if not promotion.promoted:  # the first version has nothing to beat: this is a bug
        raise WbError(f"the demo could not promote {champion.ref}: {promotion.gates}")
    step(
        f"trained run {short_id(champion_run)} on {first.ref}, registered it as {champion.ref} and "
        f"promoted it to production (validation rmse {champion.metrics.get('rmse', float('nan')):.3f})"
    )

    production = f"{MODEL}@{registry.PRODUCTION}"
    reports, broken = [], {}
    for week in weeks:
        stages.begin(f"adding {week.name} and checking it for drift with {production}")
        added = datasets.add(ws, week, DATASET, f"weekly drop {week.stem}")
        version = added.version
        if added.violations:
            broken[version.ref] = len(added.violations)
        # As `wb drift check --reference sales@reference --current sales@N --model
        # demand@production --target units_sold`.
        report = drift.check(ws, first.ref, version.ref, model=production, target=TARGET)
        perf = report.performance
        reports.append(
            {
                "week": week.stem,
                "version": version.ref,
                "report_id": report.report_id,
                "dataset_drift": report.dataset_drift,
                "drifted": report.drifted,
                "rmse": perf.current if perf else None,
                "degraded": perf.degraded if perf else None,
            }
        )
        step(
            f"added {version.ref} ({week.stem}): "
            + _verdict(report)
            + (
                f"; breaks the contract ({plural(len(added.violations), 'violation')})"
                if added.violations
                else ""
            )
        )

    # Trained on the week before the newest, so that the newest is data neither model has
    # seen: the promotion gate's default (a random fifth validates each challenger).
    latest = f"{DATASET}@{version.version - 1}"
    with warnings.catch_warnings():  # it breaks the contract: said in the step below
        warnings.simplefilter("ignore", Caution)
        loaded = training.load(ws, latest)
    challenger_runs = []
    for n, point in enumerate(points, 1):
        what = f"training challenger {n} of {len(points)} on {latest}"
        stages.begin(what)
        spec = training.TrainSpec(data=latest, target=TARGET, params=point)
        challenger_runs.append(
            training.train(
                ws,
                spec,
                experiment=EXPERIMENT,
                prepared=training.prepare(ws, spec, loaded),
                tags={"demo": "challenger"},
                on_progress=stages.training(what),
            )
        )
    best = runs.best(runs.by_ids(ws, challenger_runs))
    if best is None:
        raise WbError("the demo's challenger runs all failed")
    challenger = registry.register(ws, best.id, MODEL)
    # The challenger scores the newest week too, so that `wb model history` shows it taking
    # over from the champion on the same line.
    stages.begin(f"checking {version.ref} with {challenger.ref}")
    challenged = drift.check(ws, first.ref, version.ref, model=challenger.ref, target=TARGET).performance
    step(
        f"retrained on {latest}: {len(challenger_runs)} runs, the best ({best.name}, rmse "
        f"{best.metrics['rmse']:.3f}) registered as {challenger.ref}, not promoted (the gates "
        f"judge it on {version.ref}"
        + (f", where its rmse is {challenged.current:.3f}" if challenged and challenged.current else "")
        + f"); {latest} breaks the contract, a world that moved: retrained on it on purpose"
    )

    stages.begin(f"rolling {challenger.ref} out to the {ROLLOUT_GROUP} stores")
    rollout = _roll_out(ws, challenger.ref, version.ref, step)
    return Summary(
        workspace=str(ws.root),
        dataset=DATASET,
        versions=version.version,
        contract_violations=broken,
        model=MODEL,
        production=champion.version,
        challenger=challenger.version,
        champion_run=champion_run,
        challenger_runs=challenger_runs,
        reports=reports,
        open_alerts=alerts.open_count(ws),
        rollout=rollout,
    )


def _roll_out(ws: Workspace, challenger: str, week: str, step: Callable[[str], None]) -> str:
    """The challenger rolled out to one store group (a region) beside production, the newest
    week scored by the arms and its labels joined: a rollout in progress, its verdict pending."""
    from .models import prediction, rollout_outcomes, rollouts

    rollout = rollouts.start(ws, challenger, ROLLOUT_SEGMENT, segments=[ROLLOUT_GROUP], name=ROLLOUT)
    folder = ws.root / "predictions"
    folder.mkdir()
    scored = prediction.predict(ws, f"rollout:{rollout.name}", week, folder / f"{ROLLOUT}.parquet")
    rollout_outcomes.add_outcomes(ws, rollout.name, week, TARGET)
    status = rollout_outcomes.status(ws, rollout.name)
    step(
        f"rolled {challenger} out to the {ROLLOUT_GROUP} stores (rollout {rollout.name}), scored "
        f"{week} by the arms into {scored.output.relative_to(ws.root)} and joined its outcomes: "
        f"verdict {status.verdict} ({status.why}); `wb rollout status {rollout.name}`"
    )
    return rollout.name
