"""A model's performance over time: one point per drop a version scored, across versions, with
which one was production then, its labelled metric (None without labels), the estimate, the
drift share and the alerts raised for that report."""

from __future__ import annotations

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.errors import NotFound
from workbench.core.experiments import training
from workbench.core.models import history, registry
from workbench.core.monitoring import alerts, drift
from workbench.core.storage.workspace import Workspace


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """demand@1 in production scores weeks 1 (labels) and 4 (no labels); demand@2 takes over
    and scores week 6, which demand@1 scores too; one check without a model; `other` is
    a model no check scored."""
    ws, _ = Workspace.init(tmp_path_factory.mktemp("history") / "ws")
    for drop in ("reference", "week_01", "week_04", "week_06"):
        datasets.add(ws, DROPS / f"{drop}.csv", "sales")
    for data, name in (("sales@1", "demand"), ("sales@3", "demand"), ("sales@1", "other")):
        run = training.train(ws, training.TrainSpec(data=data, target="units_sold", model="linear"))
        registry.register(ws, run, name)
    registry.promote(ws, "demand@1", "production")
    drift.check(ws, "sales@1", "sales@2", model="demand@production", target="units_sold")
    drift.check(ws, "sales@1", "sales@3", model="demand@production")
    drift.check(ws, "sales@1", "sales@3")  # no model: on nobody's line
    registry.promote(ws, "demand@2", "production", force=True, reason="retrained on week 4")
    drift.check(ws, "sales@1", "sales@4", model="demand@production", target="units_sold")
    drift.check(ws, "sales@1", "sales@4", model="demand@1", target="units_sold")
    yield ws
    ws.close()


def test_each_drop_a_version_scored_is_a_point_on_one_line(scored):
    found = history.history(scored, "demand")
    assert found.metric == "rmse" and found.versions == (1, 2)
    points = found.points
    assert [(p.drop, p.drop_index, p.version) for p in points] == [
        ("sales@2", 1, 1),
        ("sales@3", 2, 1),
        ("sales@4", 3, 2),
        ("sales@4", 3, 1),  # the same drop, the same place on the line
    ]
    assert found.drops == ["sales@2", "sales@3", "sales@4"]
    assert [p.production for p in points] == [1, 1, 2, 2]
    assert [p.in_production for p in points] == [True, True, True, False]


def test_a_point_carries_the_metric_the_estimate_and_the_drift_of_its_report(scored):
    points = history.history(scored, "demand").points
    labelled, unlabelled = points[0], points[1]
    report = drift.show(scored, labelled.report_id)
    assert labelled.value == report.performance.current and labelled.rows == report.performance.rows
    assert labelled.validation == registry.resolve(scored, "demand@1").metrics["rmse"]
    assert labelled.estimate_metric == "mae" and labelled.estimate == report.performance_estimate.estimated
    assert labelled.drift_share == report.drift_share and labelled.reference == "sales@1"
    assert unlabelled.value is None and unlabelled.degraded is None and unlabelled.rows is None
    assert unlabelled.estimate is not None  # the label-free estimate needs no labels
    assert unlabelled.validation == labelled.validation  # the line to compare with stays


def test_a_point_lists_the_alerts_raised_for_its_report(scored):
    points = history.history(scored, "demand").points
    by_report = {}
    for a in alerts.list_alerts(scored):
        by_report.setdefault(a.subject, set()).add(a.kind)
    assert any(p.alerts for p in points)
    for p in points:
        assert {a.kind for a in p.alerts} == by_report.get(p.report_id, set())
        assert ("performance" in {a.kind for a in p.alerts}) == bool(p.degraded)


def test_the_json_point_has_its_documented_fields(scored):
    point = history.history(scored, "demand").points[0].to_dict()
    assert set(point) == {
        "drop",
        "drop_index",
        "checked_at",
        "report_id",
        "reference",
        "version",
        "production",
        "in_production",
        "metric",
        "value",
        "validation",
        "degraded",
        "rows",
        "estimate_metric",
        "estimate",
        "estimate_degraded",
        "drift_share",
        "dataset_drift",
        "alerts",
    }


def test_a_model_no_check_scored_has_no_points(scored):
    found = history.history(scored, "other")
    assert found.points == () and found.versions == () and found.drops == []


def test_an_unknown_model_is_one_clear_error(scored):
    with pytest.raises(NotFound, match="nomodel"):
        history.history(scored, "nomodel")


def test_its_story_says_where_production_moved_and_how_the_other_version_compares(scored):
    from workbench.presenters import models as model_words

    found = history.history(scored, "demand")
    told = [n.text for n in model_words.story(found)]
    assert "production moved to demand@2 before sales@4" in told
    champion, other = found.points[2], found.points[3]
    compared = next(t for t in told if t.startswith("on sales@4, demand@1 scores rmse"))
    assert f"for demand@{champion.version} in production" in compared
    assert ("better" in compared) == (other.value < champion.value)


def test_a_long_line_sparks_only_its_newest_drops(scored):
    from dataclasses import replace

    from workbench.presenters import models as model_words

    first = history.history(scored, "demand").points[0]
    points = tuple(replace(first, drop=f"sales@{i + 2}", drop_index=i + 1, value=float(i)) for i in range(50))
    long = history.ModelHistory(model="demand", metric="rmse", versions=(1,), points=points)
    (line,) = model_words.sparks(long)
    cells = line.split()[1]
    assert len(cells) == model_words.SPARK_DROPS and cells[0] == "▁" and cells[-1] == "█"
    assert line.endswith("49 on sales@51")
