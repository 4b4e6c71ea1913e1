"""A drift report (`wb drift check/show`, the TUI's drift area) in words."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..core.monitoring.records import Distribution, DriftReport, DriftTest, FeatureDrift, Span
from ..core.names import plural
from ..formatting import fmt_num
from . import Note

TEST_COLUMNS = ("feature", "type", "test", "score", "threshold", "p", "drifted", "detail")
NUMBER_COLUMNS = ("score", "threshold", "p")
# How far a streamed check's Wasserstein score may be from a whole read's: measured at most
# 0.0015 reference std in bench/drift_stream.py (28 MB and 1 GB) and 0.0034 on the tests' 60,000
# rows (sketch rank error 0.04%; whole numbers with many values err most), with room to spare.
WASSERSTEIN_SKETCH_ERROR = 0.01


def verdict(report: DriftReport) -> str:
    said = "DATASET DRIFT" if report.dataset_drift else "no dataset drift"
    return (
        f"{report.current} vs {report.reference}: {said} "
        f"({report.drifted_features} of {plural(report.n_features, 'feature')} "
        f"drifted; the dataset drifts at {report.threshold_share:.0%})"
    )


def tests_of(feature: FeatureDrift) -> list[DriftTest]:
    """Every test run on a feature, its headline first (reports made before tests were kept
    have the headline only)."""
    tests = feature.tests or (feature.headline,)
    headline = next((t for t in tests if t.test == feature.test), tests[0])
    return [headline, *(t for t in tests if t is not headline)]


def test_rows(report: DriftReport, *, labels: bool = False) -> list[tuple[str, ...]]:
    """TEST_COLUMNS for every test on every feature (with `labels`: on the target, its label
    drift), the most drifted first; a column's name and type only on its first row."""
    return [
        (
            f.name if i == 0 else "",
            f.type if i == 0 else "",
            t.test,
            f"{t.score:.3f}",
            f"{t.threshold:g}",
            f"{t.p_value:.2g}",
            "YES" if t.drifted else "",
            t.detail,
        )
        for f in (report.label_drift if labels else report.features)
        for i, t in enumerate(tests_of(f))
    ]


def notes(report: DriftReport) -> Iterator[Note]:
    """What the report found beyond its features: schema problems, the target's drift, the
    model's predictions and performance (measured and estimated), the classifier, columns new
    to the data, then the columns left out of feature drift and the period each side covers."""
    for problem in report.schema_problems:
        yield Note(f"column {problem.name}: {problem.problem}", "warning")
    yield from _label_notes(report)
    pred = report.prediction_drift
    if pred:
        yield Note(
            f"predictions: {pred.test} {pred.score:.3f} (threshold "
            f"{pred.threshold:g}) -> {'DRIFTED' if pred.drifted else 'stable'}",
            "alarm" if pred.drifted else "info",
        )
    perf = report.performance
    if perf:
        change = "" if perf.degradation is None else f", {perf.degradation:+.1%} worse"
        yield Note(
            f"performance: {perf.metric} {perf.current:.4g} on {perf.rows:,} "
            f"labelled rows vs {perf.validation:.4g} at validation{change} -> "
            f"{'DEGRADED' if perf.degraded else 'ok'}",
            "alarm" if perf.degraded else "info",
        )
    est = report.performance_estimate
    if est and est.estimated is not None:
        text = (
            f"estimated {est.metric} without labels: {est.estimated:.4g} vs "
            f"{est.validation:.4g} at validation ({est.method}; blind to concept drift)"
        )
        concept = est.concept
        if concept is not None and concept.gap is not None:
            text += f"; actual {concept.actual:.4g}, {concept.gap:+.1%} off the estimate -> " + (
                "CONCEPT DRIFT" if concept.concept_drift else "explained by the inputs"
            )
        yield Note(text, "alarm" if (concept and concept.concept_drift) or est.degraded else "info")
    multi = report.multivariate
    if multi:
        leaders = ", ".join(f"{f.name} ({f.share:.0%})" for f in multi.top_features[:3])
        yield Note(
            f"classifier: tells current from reference with ROC AUC {multi.score:.3f} "
            f"(threshold {multi.threshold:g}) -> "
            f"{'DRIFTED' if multi.drifted else 'indistinguishable'}; led by {leaders}",
            "alarm" if multi.drifted else "info",
        )
    if report.extra_columns:
        yield Note(f"columns not in the reference: {', '.join(report.extra_columns)}", "warning")
    if report.left_out:
        yield Note(
            "left out of feature drift: "
            + "; ".join(f"{c.name} ({c.role}: {c.reason})" for c in report.left_out),
            "info",
        )
    period = report.period
    if period:
        cur = "not in the current data" if period.current is None else _span(period.current)
        yield Note(f"period ({period.column}): reference {_span(period.reference)}; current {cur}", "info")
    if report.estimated is not None:
        yield Note(_streamed(report.estimated), "info")


def _streamed(estimated: tuple[str, ...]) -> str:
    said = "the current data was read in batches (too big for [data] memory_budget_mb)"
    if not estimated:
        return said + "; every figure is exact"
    return (
        f"{said}: the Wasserstein scores of {', '.join(estimated)} come from its quantile "
        f"sketch (within about {WASSERSTEIN_SKETCH_ERROR:g} reference std of a whole read); "
        "every other figure is exact"
    )


def _label_notes(report: DriftReport) -> Iterator[Note]:
    """The target's drift (label drift), compared apart from the features; a target the
    current data lacks (its labels not in yet) says so."""
    compared = {f.name: f for f in report.label_drift}
    for column in report.left_out:
        if column.role != "target":
            continue
        f = compared.get(column.name)
        if f is None:
            yield Note(f"label {column.name}: not in the current data, no label drift to measure", "info")
            continue
        yield Note(
            f"label drift: {f.name} {f.test} {f.score:.3f} (threshold {f.threshold:g}) -> "
            f"{'DRIFTED' if f.drifted else 'stable'}; {f.detail}",
            "alarm" if f.drifted else "info",
        )


def _span(span: Span) -> str:
    if span.start is None:
        return "unknown"
    return f"{span.start} to {span.end}" if span.start != span.end else str(span.start)


@dataclass(frozen=True)
class Bins:
    """A feature's distribution as drawn (the TUI's charts, the HTML page's): each side's
    share per bin, the bins' labels, and what the current side's range is ("" unknown)."""

    reference: list[float]
    current: list[float]
    labels: list[str]
    range_said: str = ""


def bins(dist: Distribution) -> Bins:
    """Numbers in the reference's histogram bins, the current values beyond its range taken
    out of the end bins into an overflow bin of their own at either end, labelled as such
    (`<lowest`, `>highest`); categories as they are."""
    reference, current = list(dist.reference), list(dist.current)
    if dist.edges is None:
        return Bins(_shares(reference), _shares(current), list(dist.categories or ()))
    labels = [fmt_num(e) for e in dist.edges[:-1]]
    if dist.current_range is None:  # a report from before the range was kept
        return Bins(_shares(reference), _shares(current), labels)
    (below, above), (low, high) = dist.outside, dist.current_range
    lowest, highest = dist.edges[0], dist.edges[-1]
    current[0] -= below
    current[-1] -= above
    if below:
        reference, current, labels = [0, *reference], [below, *current], [f"<{fmt_num(lowest)}", *labels]
    if above:
        reference, current, labels = [*reference, 0], [*current, above], [*labels, f">{fmt_num(highest)}"]
    said = (
        f"current {fmt_num(low)} .. {fmt_num(high)}, the reference's {fmt_num(lowest)} .. {fmt_num(highest)}"
    )
    said += "".join(
        f"; {n:,} {side} it in the overflow bin {label}"
        for n, side, label in ((below, "below", labels[0]), (above, "above", labels[-1]))
        if n
    )
    return Bins(_shares(reference), _shares(current), labels, said)


def _shares(counts: Sequence[float]) -> list[float]:
    """Counts as shares of their side (a category list may already be shares: sum 1)."""
    total = sum(counts) or 1
    return [c / total for c in counts]
