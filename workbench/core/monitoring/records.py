"""What a drift check finds, as the interfaces see it: frozen records whose `to_dict()` is
SPEC.md's JSON (`wb drift check/show --json`; `ReportSummary` is a `wb drift list --json` row).

A `DriftReport` is a `DatasetDrift` (every feature's `FeatureDrift`, each with the `DriftTest`s
run on it) with where it came from and the model-based sections. Reports are stored as that
JSON; `from_dict` reads them back, including those stored before a section existed (what they
lack reads as None, or as no tests). Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class DriftTest:
    """One test on a feature (or on the model's predictions): `drifted` when its effect size
    `score` reaches `threshold` and (`significant`) its p-value survives the false discovery
    rate gate across the report. `p_test` names the test that gave the p-value."""

    # wasserstein, ks, psi, jensen_shannon, chi2, missing_share, missing_column, dtype_changed
    test: str
    score: float
    threshold: float
    p_value: float
    drifted: bool
    detail: str
    significant: bool | None = None  # None: not gated (prediction drift)
    # ks (numbers, against the reference's quantile sketch) or chi2 (counts); None: a fixed
    # p-value (a missing column, a changed type) or a report made before it was kept.
    p_test: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "test": self.test,
            "score": self.score,
            "threshold": self.threshold,
            "p_value": self.p_value,
            "drifted": self.drifted,
            "detail": self.detail,
        }
        if self.p_test is not None:
            out["p_test"] = self.p_test
        if self.significant is not None:
            out["significant"] = self.significant
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DriftTest:
        return cls(**_fields_of(cls, d))


@dataclass(frozen=True)
class MissingShare:
    """The share of missing values on each side."""

    reference: float
    current: float

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "current": self.current}


@dataclass(frozen=True)
class RowCounts:
    """How many rows each side had."""

    reference: int
    current: int

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "current": self.current}


@dataclass(frozen=True)
class Distribution:
    """A feature's two sides as drawn: numbers in the reference's histogram bins (`edges`,
    with counts), categories as the ten whose share moved most (`categories`, with shares)."""

    reference: tuple[float, ...]
    current: tuple[float, ...]
    edges: tuple[float, ...] | None = None
    categories: tuple[str, ...] | None = None
    # Numbers: how many current values of the end bins lie beyond the reference's range
    # (below its lowest, above its highest), and the current side's own range; reports made
    # before these were kept have neither.
    outside: tuple[int, int] = (0, 0)
    current_range: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        axis = (
            {"edges": list(self.edges)}
            if self.edges is not None
            else {"categories": list(self.categories or ())}
        )
        found = {**axis, "reference": list(self.reference), "current": list(self.current)}
        if self.current_range is not None:
            found |= {"outside": list(self.outside), "current_range": list(self.current_range)}
        return found

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Distribution:
        edges, categories = d.get("edges"), d.get("categories")
        return cls(
            reference=tuple(d["reference"]),
            current=tuple(d["current"]),
            edges=None if edges is None else tuple(edges),
            categories=None if categories is None else tuple(categories),
            outside=tuple(d.get("outside") or (0, 0)),
            current_range=None if d.get("current_range") is None else tuple(d["current_range"]),
        )


def _fields_of(cls: Any, d: dict[str, Any]) -> dict[str, Any]:
    """The values in `d` for the fields of record class `cls` (None for those it lacks)."""
    return {f.name: d.get(f.name) for f in fields(cls)}


# The fields a feature takes from its headline test.
_HEADLINE = tuple(f.name for f in fields(DriftTest))


@dataclass(frozen=True)
class FeatureDrift:
    """One feature (column) of the reference compared with the current data. Its own test
    fields are those of its headline test: the one that drifted, else the one nearest its
    threshold; `tests` lists every test run on it (empty in reports made before they were
    kept). The other optional fields are there for the tests that have them."""

    name: str
    type: str  # numerical or categorical
    test: str
    score: float
    threshold: float
    p_value: float
    drifted: bool
    detail: str
    significant: bool | None = None
    p_test: str | None = None
    tests: tuple[DriftTest, ...] = ()
    missing_share: MissingShare | None = None
    distribution: Distribution | None = None
    unseen_categories: tuple[str, ...] | None = None  # categorical: the first 20 new ones
    unseen_share: float | None = None  # categorical: the share of rows they take

    @property
    def headline(self) -> DriftTest:
        return DriftTest(**{k: getattr(self, k) for k in _HEADLINE})

    def headed_by(self, headline: DriftTest, tests: tuple[DriftTest, ...]) -> FeatureDrift:
        """This feature with `tests` as its tests and `headline` (one of them) as its own."""
        return replace(self, tests=tests, **asdict(headline))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        out.update((k, v) for k, v in self.headline.to_dict().items() if k != "significant")
        if self.missing_share is not None:
            out["missing_share"] = self.missing_share.to_dict()
        if self.distribution is not None:
            out["distribution"] = self.distribution.to_dict()
        if self.unseen_categories is not None:
            out["unseen_categories"] = list(self.unseen_categories)
        if self.unseen_share is not None:
            out["unseen_share"] = self.unseen_share
        if self.tests:
            out["tests"] = [t.to_dict() for t in self.tests]
        if self.significant is not None:
            out["significant"] = self.significant
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureDrift:
        missing, dist, unseen = d.get("missing_share"), d.get("distribution"), d.get("unseen_categories")
        return cls(
            name=d["name"],
            type=d["type"],
            **_fields_of(DriftTest, d),
            tests=tuple(DriftTest.from_dict(t) for t in d.get("tests") or ()),
            missing_share=None if missing is None else MissingShare(missing["reference"], missing["current"]),
            distribution=None if dist is None else Distribution.from_dict(dist),
            unseen_categories=None if unseen is None else tuple(unseen),
            unseen_share=d.get("unseen_share"),
        )


@dataclass(frozen=True)
class SchemaProblem:
    """A reference column the current data lacks, or has with another type."""

    name: str
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "problem": self.problem}


@dataclass(frozen=True)
class LeftOut:
    """A reference column that is not a feature of the check: its role (id, ignored, time, or
    target: compared apart, as label drift) and why it has it."""

    name: str
    role: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "reason": self.reason}


@dataclass(frozen=True)
class Span:
    """The first and last value of a time column on one side (ISO text for dates; None when
    there is none to read)."""

    start: str | float | None
    end: str | float | None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class Period:
    """The span of time each side covers, read from the check's time column."""

    column: str
    reference: Span
    current: Span | None  # None: the current data lacks the column

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "reference": self.reference.to_dict(),
            "current": _dict_or_none(self.current),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Period:
        cur = d.get("current")
        return cls(d["column"], Span(**d["reference"]), None if cur is None else Span(**cur))


@dataclass(frozen=True)
class Performance:
    """The model's metrics on the labelled current data against those at its validation."""

    metric: str  # the task's primary metric
    validation: float | None
    current: float | None
    degradation: float | None  # how much worse, as a fraction of `validation`
    threshold: float
    degraded: bool
    rows: int  # the labelled rows scored
    metrics: Mapping[str, float | None]
    validation_metrics: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Performance:
        return cls(**_fields_of(cls, d))


@dataclass(frozen=True)
class ConceptDrift:
    """Once labels arrive: the actual metric against the label-free estimate. A gap larger
    than the degradation threshold means the inputs do not explain the loss."""

    actual: float | None
    gap: float | None
    concept_drift: bool | None  # None: no actual metric or no estimate to compare


@dataclass(frozen=True)
class PerformanceEstimate:
    """The model's metric on the current data estimated without labels, and (`concept`,
    when the check had the target) how the actual one compares."""

    metric: str  # accuracy (classifiers) or mae (regressors)
    estimated: float | None
    validation: float | None
    degradation: float | None
    threshold: float
    degraded: bool
    method: str
    note: str
    concept: ConceptDrift | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "concept"}
        if self.concept is not None:
            out.update(asdict(self.concept))
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PerformanceEstimate:
        own = {k: v for k, v in _fields_of(cls, d).items() if k != "concept"}
        concept = ConceptDrift(d["actual"], d.get("gap"), d.get("concept_drift")) if "actual" in d else None
        return cls(**own, concept=concept)


@dataclass(frozen=True)
class TopFeature:
    """A feature the domain classifier leans on, with its share of the total gain."""

    name: str
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "share": self.share}


@dataclass(frozen=True)
class DomainClassifier:
    """How well a model tells reference rows from current ones (ROC AUC on held-out rows)."""

    test: str  # domain_classifier_auc
    score: float
    threshold: float
    drifted: bool
    top_features: tuple[TopFeature, ...]  # the five with the most gain, most first
    rows: RowCounts  # the rows sampled from each side

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "score": self.score,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "top_features": [f.to_dict() for f in self.top_features],
            "rows": self.rows.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DomainClassifier:
        return cls(
            test=d["test"],
            score=d["score"],
            threshold=d["threshold"],
            drifted=d["drifted"],
            top_features=tuple(TopFeature(f["name"], f["share"]) for f in d["top_features"]),
            rows=RowCounts(d["rows"]["reference"], d["rows"]["current"]),
        )


@dataclass(frozen=True)
class DatasetDrift:
    """The current data compared with a reference profile, feature by feature: the dataset
    drifts when the share of drifted features reaches `threshold_share`. Columns with another
    role than feature are in `left_out` (a target also in `label_drift`)."""

    dataset_drift: bool
    drift_share: float
    drifted_features: int
    n_features: int
    threshold_share: float
    features: tuple[FeatureDrift, ...]  # drifted first, then by score, highest first
    schema_problems: tuple[SchemaProblem, ...]
    extra_columns: tuple[str, ...]  # in the current data, not in the reference
    rows: RowCounts
    # The columns that are no features, by their roles: left out, and the target's own drift
    # (label drift, as features are compared, outside the share), the period the sides cover.
    left_out: tuple[LeftOut, ...] = ()
    label_drift: tuple[FeatureDrift, ...] = ()
    period: Period | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drifted_features": self.drifted_features,
            "n_features": self.n_features,
            "threshold_share": self.threshold_share,
            "features": [f.to_dict() for f in self.features],
            "schema_problems": [p.to_dict() for p in self.schema_problems],
            "extra_columns": list(self.extra_columns),
            "rows": self.rows.to_dict(),
            "left_out": [c.to_dict() for c in self.left_out],
            "label_drift": [f.to_dict() for f in self.label_drift],
            "period": _dict_or_none(self.period),
        }


@dataclass(frozen=True, kw_only=True)
class DriftReport(DatasetDrift):
    """A stored drift check: the dataset's drift, what was compared, and the model-based
    sections (None when the check did not ask for them)."""

    report_id: str
    reference: str  # the reference version's ref
    current: str  # a version's ref or a file's path
    created_at: str
    model_run: str | None  # the run of the model that scored the data (--model)
    prediction_drift: DriftTest | None = None
    performance: Performance | None = None  # with --model and --target
    performance_estimate: PerformanceEstimate | None = None  # with --model
    multivariate: DomainClassifier | None = None  # with --classifier
    # A current side too big to read whole was read in batches: the features whose score is
    # estimated from its quantile sketch (None: read whole, every score exact).
    estimated: tuple[str, ...] | None = None

    @property
    def drifted(self) -> list[str]:
        """The names of the features that drifted."""
        return [f.name for f in self.features if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb drift check --json` (and `show`) document."""
        out: dict[str, Any] = {
            "report_id": self.report_id,
            "reference": self.reference,
            "current": self.current,
            "created_at": self.created_at,
            "model_run": self.model_run,
            **super().to_dict(),
            "prediction_drift": _dict_or_none(self.prediction_drift),
            "performance": _dict_or_none(self.performance),
        }
        if self.performance_estimate is not None:  # only checks with a model have it
            out["performance_estimate"] = self.performance_estimate.to_dict()
        out["multivariate"] = _dict_or_none(self.multivariate)
        if self.estimated is not None:  # only streamed checks have it
            out["estimated"] = list(self.estimated)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DriftReport:
        def section(key: str, load: Any) -> Any:
            return None if d.get(key) is None else load(d[key])

        return cls(
            report_id=d["report_id"],
            reference=d["reference"],
            current=d["current"],
            created_at=d["created_at"],
            model_run=d.get("model_run"),
            dataset_drift=d["dataset_drift"],
            drift_share=d["drift_share"],
            drifted_features=d["drifted_features"],
            n_features=d["n_features"],
            threshold_share=d["threshold_share"],
            features=tuple(FeatureDrift.from_dict(f) for f in d["features"]),
            schema_problems=tuple(SchemaProblem(p["name"], p["problem"]) for p in d["schema_problems"]),
            extra_columns=tuple(d["extra_columns"]),
            rows=RowCounts(d["rows"]["reference"], d["rows"]["current"]),
            left_out=tuple(LeftOut(**c) for c in d.get("left_out") or ()),
            label_drift=tuple(FeatureDrift.from_dict(f) for f in d.get("label_drift") or ()),
            period=section("period", Period.from_dict),
            prediction_drift=section("prediction_drift", DriftTest.from_dict),
            performance=section("performance", Performance.from_dict),
            performance_estimate=section("performance_estimate", PerformanceEstimate.from_dict),
            multivariate=section("multivariate", DomainClassifier.from_dict),
            estimated=section("estimated", tuple),
        )


def _dict_or_none(record: Any) -> dict[str, Any] | None:
    return None if record is None else record.to_dict()


@dataclass(frozen=True)
class ReportSummary:
    """A stored report as `wb drift list` shows it."""

    report_id: str
    created_at: str
    reference: str
    current: str
    dataset_drift: bool
    drift_share: float
    drifted: tuple[str, ...]  # the names of the features that drifted

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb drift list --json` item."""
        return {
            "report_id": self.report_id,
            "created_at": self.created_at,
            "reference": self.reference,
            "current": self.current,
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drifted": list(self.drifted),
        }
