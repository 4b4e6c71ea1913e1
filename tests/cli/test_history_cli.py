"""`wb model history NAME` (table, chart, --json) and the pages people pass on (`wb model history
--html`, `wb drift show --html`): one self-contained file each, read here with the stdlib's HTML
parser as a browser would, with names made of HTML that must show as text."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli.main import app
from workbench.core.data import datasets
from workbench.core.experiments import training
from workbench.core.models import history, registry
from workbench.core.monitoring import drift
from workbench.core.storage.workspace import Workspace
from workbench.presenters import models as model_words
from workbench.tui import views

COLUMN = "<script>alert('column')</script>"
VALUE = "<img src=x onerror=alert(1)>"
NEW_VALUE = "<iframe srcdoc='x'>"
DROP = "<i>drop&amp;'\".csv"  # the current side is a file: its path is the drop's name


def _write(path: Path, values: list[str], slope: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["x", COLUMN, "units"])
        out.writerows([i, values[i % len(values)], slope * i] for i in range(80))


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """demand@1 (production) trained on hostile@1 scores a file whose units follow another
    rule (it degrades) and whose hostile column has a new hostile category."""
    ws, _ = Workspace.init(tmp_path_factory.mktemp("history") / "ws")
    _write(ws.root / "reference.csv", [VALUE, "plain"], 2)
    _write(ws.root / DROP, [NEW_VALUE, VALUE], 5)
    datasets.add(ws, ws.root / "reference.csv", "hostile")
    run = training.train(ws, training.TrainSpec(data="hostile@1", target="units", model="linear"))
    registry.register(ws, run, "demand")
    registry.promote(ws, "demand@1", "production")
    report = drift.check(ws, "hostile@1", str(ws.root / DROP), model="demand@production", target="units")
    yield ws, report
    ws.close()


def _wb(ws: Workspace, *args: object, code: int = 0):
    result = CliRunner().invoke(app, ["-w", str(ws.root), *(str(a) for a in args)])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


class _Page(HTMLParser):
    """What a browser would build: the tags with their attributes, and the text shown."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str, **attrs: str) -> int:
        return sum(t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self.tags)

    @property
    def shown(self) -> str:
        return "".join(self.text)


def _self_contained(page: _Page) -> None:
    """No script, nothing fetched, no handler: the hostile names stayed text."""
    names = {t for t, _ in page.tags}
    assert not names & {"script", "img", "iframe", "link", "object", "embed", "i"}, names
    for tag, attrs in page.tags:
        assert not [k for k in attrs if k.startswith("on") or k in ("src", "href", "srcdoc")], (tag, attrs)
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_history_prints_each_drop_with_its_chart_and_what_it_says(scored):
    ws, _ = scored
    out = _wb(ws, "model", "history", "demand").stdout
    flat = out.replace("\n", " ")
    assert "@1 production" in out and "rmse per drop" in out and "DEGRADED" in out
    assert "'" in out and "drop&amp;" in out  # the file's name, as it is
    found = [n.text for n in model_words.story(history.history(ws, "demand"))]
    assert found and all(text in flat for text in found)
    # The TUI's models detail says the same.
    shown = views.model_detail(ws.root, "demand@1")
    assert "rmse per drop" in shown and all(text in shown for text in found)


def test_history_json_is_the_list_of_points(scored):
    ws, report = scored
    points = json.loads(_wb(ws, "model", "history", "demand", "--json").stdout)
    assert len(points) == 1
    point = points[0]
    assert point["report_id"] == report.report_id and point["drop"] == str(ws.root / DROP)
    assert point["version"] == point["production"] == 1 and point["in_production"] is True
    assert point["metric"] == "rmse" and point["value"] == pytest.approx(report.performance.current)
    assert point["degraded"] is True and {a["kind"] for a in point["alerts"]} >= {"performance"}


def test_history_html_is_one_page_with_the_line(scored, tmp_path):
    ws, _ = scored
    out = tmp_path / "history.html"
    result = _wb(ws, "model", "history", "demand", "--html", out)
    assert f"wrote {out}" in result.stderr and "@1 production" in result.stdout
    page = _Page(out.read_text(encoding="utf-8"))
    _self_contained(page)
    assert page.count("svg") == 2 and page.count("polyline") == 0  # one drop: a point, no line
    assert page.count("circle") >= 1
    assert str(ws.root / DROP) in page.shown  # in the table, whole
    assert "demand@1 (production): rmse" in page.shown


def test_drift_html_has_the_verdict_and_every_feature_with_both_sides(scored, tmp_path):
    ws, report = scored
    out = tmp_path / "drift.html"
    _wb(ws, "drift", "show", report.report_id[:10], "--html", out)
    page = _Page(out.read_text(encoding="utf-8"))
    _self_contained(page)
    shown = page.shown
    assert "DATASET DRIFT" in shown or "no dataset drift" in shown
    assert page.count("div", **{"class": "feature drifted"}) + page.count(
        "div", **{"class": "feature "}
    ) == len(report.features)
    for feature in report.features:
        assert feature.name in shown
    assert COLUMN in shown and VALUE in shown and NEW_VALUE in shown  # shown as text, whole
    assert page.count("svg") == len([f for f in report.features if f.distribution])
    # Both sides drawn for each bar slot: reference and current rectangles alike.
    fills = [a.get("fill") for t, a in page.tags if t == "rect"]
    assert "#8aa4c8" in fills and "#d9622b" in fills


def test_a_page_into_a_missing_folder_is_refused_and_nothing_is_written(scored, tmp_path):
    ws, report = scored
    result = _wb(ws, "model", "history", "demand", "--html", tmp_path / "nowhere" / "h.html", code=2)
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    _wb(ws, "drift", "show", report.report_id, "--html", tmp_path, code=2)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_model_is_one_sentence(scored):
    ws, _ = scored
    result = _wb(ws, "model", "history", "nomodel", code=2)
    assert "nomodel" in result.stderr and len(result.stderr.strip().splitlines()) == 1
