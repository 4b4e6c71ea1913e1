"""Reports people can pass on (`--html FILE`): one self-contained HTML page for a drift report
(`drift_page`) or a model's performance over time (`history_page`), its charts drawn here as
inline SVG. No script, no stylesheet or font from anywhere: the page's Content-Security-Policy
forbids fetching anything, so it opens the same on a laptop with no network.

Every string that comes from data (a column, a category, a file's path, a model's name) goes
through `_esc`, in text and in attributes alike: a hostile name shows as itself.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..formatting import fmt_num, short_time
from . import Note
from . import drift as drift_words
from . import models as model_words

if TYPE_CHECKING:
    from ..core.models.history import ModelHistory
    from ..core.monitoring.records import DriftReport, FeatureDrift

COLORS = ("#2f6db5", "#d9622b", "#2e9b57", "#8a4fb8", "#c23b6e", "#1f9aa8")
REFERENCE_COLOR, CURRENT_COLOR, ALARM_COLOR = "#8aa4c8", "#d9622b", "#c62828"
_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
       max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { margin: 1.2em 0 .2em; font-size: 1.05em; }
.verdict { font-size: 1.15em; font-weight: 600; padding: .6em .8em; border-radius: 6px; }
.alarm { color: #9b1c1c; } .verdict.alarm { background: #fdecea; }
.good { color: #1b6b3a; } .verdict.good { background: #e8f5ec; }
.warning { color: #8a5a00; } .meta { color: #5b6570; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { text-align: left; padding: .25em .7em; border-bottom: 1px solid #e6e6e6; }
th { background: #f5f6f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.feature { border-left: 4px solid #d5dbe3; padding-left: .8em; margin: 1em 0; }
.feature.drifted { border-left-color: #c62828; }
.badge { font-size: .8em; padding: .05em .45em; border-radius: 4px; background: #e8f5ec; color: #1b6b3a; }
.drifted .badge { background: #fdecea; color: #9b1c1c; }
svg text { font: 11px system-ui, sans-serif; fill: #3c4650; }
"""
# Nothing may be fetched or run: inline styles and the page's own SVG only.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
            *body,
            '<p class="meta">made by wb, offline: this page fetches nothing.</p>',
            "</body></html>",
        ]
    )


def _notes(notes: Iterable[Note]) -> str:
    items = "".join(f'<li class="{n.level}">{_esc(n.text)}</li>' for n in notes)
    return f"<ul>{items}</ul>" if items else ""


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[str] = ()) -> str:
    right = {i for i, c in enumerate(columns) if c in numeric}
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(v)}</td>' if i in right else f"<td>{_esc(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- drift report ------------------------------------------------------------------------------
def drift_page(report: DriftReport) -> str:
    """The report as a page: the verdict, what the model-based checks found, every feature
    with its reference and current distributions side by side, then every test."""
    level = "alarm" if report.dataset_drift else "good"
    title = f"Drift: {report.current} vs {report.reference}"
    body = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">report {_esc(report.report_id)} · checked {_esc(short_time(report.created_at))}'
        f" · {report.rows.reference:,} reference rows, {report.rows.current:,} current rows</p>",
        f'<p class="verdict {level}">{_esc(drift_words.verdict(report))}</p>',
        _notes(drift_words.notes(report)),
        "<h2>Features</h2>",
        f'<p class="meta">Bars: <span style="color:{REFERENCE_COLOR}">■</span> reference, '
        f'<span style="color:{CURRENT_COLOR}">■</span> current, as shares of their side.</p>',
        *(_feature(f) for f in report.features),
        "<h2>Every test</h2>",
        _table(drift_words.TEST_COLUMNS, drift_words.test_rows(report), drift_words.NUMBER_COLUMNS),
    ]
    return _page(title, body)


def _feature(feature: FeatureDrift) -> str:
    state = "drifted" if feature.drifted else ""
    head = (
        f'<div class="feature {state}"><h3>{_esc(feature.name)} '
        f'<span class="badge">{"DRIFT" if feature.drifted else "ok"}</span></h3>'
        f'<div class="meta">{_esc(feature.type)} · {_esc(feature.test)} {feature.score:.3f} '
        f"(threshold {feature.threshold:g}) · {_esc(feature.detail)}</div>"
    )
    dist = feature.distribution
    if dist is None:
        return head + '<p class="meta">no distribution stored with this report</p></div>'
    drawn = drift_words.bins(dist)
    said = f'<div class="meta">{_esc(drawn.range_said)}</div>' if drawn.range_said else ""
    return head + said + _bars_svg(drawn.reference, drawn.current, drawn.labels) + "</div>"


def _bars_svg(reference: Sequence[float], current: Sequence[float], labels: Sequence[str]) -> str:
    """Reference and current shares as paired bars on one scale, a label under every few."""
    n = max(len(reference), len(current), 1)
    width, height, left, bottom = 720, 170, 44, 34
    plot_w, plot_h = width - left - 8, height - bottom - 10
    top = (max([*reference, *current, 0.0]) or 1.0) * 1.05
    slot = plot_w / n
    bar = max(1.0, slot * 0.42)
    parts = [_axis_y(left, width - 8, 10, plot_h, 0.0, top, percent=True)]
    for i in range(n):
        x = left + i * slot + slot * 0.08
        for j, (values, color) in enumerate(((reference, REFERENCE_COLOR), (current, CURRENT_COLOR))):
            v = values[i] if i < len(values) else 0.0
            h = plot_h * v / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{10 + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{_esc(labels[i] if i < len(labels) else "")}: '
                f"{'reference' if j == 0 else 'current'} {v:.1%}</title></rect>"
            )
    every = max(1, math.ceil(n / 10))
    for i in range(0, min(n, len(labels)), every):
        parts.append(
            f'<text x="{left + (i + 0.5) * slot:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{_esc(_cut(labels[i]))}</text>"
        )
    return _svg(width, height, parts)


# -- performance over time ----------------------------------------------------------------------
def history_page(found: ModelHistory) -> str:
    """A model's history as a page: what happened in sentences, its metric per drop (one line
    per version, degraded points ringed in red), the drift share per drop, and every point."""
    title = f"{found.model}: performance over time"
    notes = model_words.story(found)
    alarm = any(n.level == "alarm" for n in notes)
    body = [f"<h1>{_esc(title)}</h1>"]
    if notes:
        body.append(f'<p class="verdict {"alarm" if alarm else "good"}">{_esc(notes[0].text)}</p>')
        body.append(_notes(notes[1:]))
    if found.points:
        ticks = model_words.drop_ticks(found)
        body += [
            f"<h2>{_esc(found.metric)} per drop, with labels</h2>",
            _lines_svg(
                model_words.series(found),
                ticks,
                alarms={(f"{found.model}@{p.version}", p.drop_index) for p in found.points if p.degraded},
                guides={
                    f"{found.model}@{p.version}": p.validation
                    for p in found.points
                    if p.validation is not None
                },
            ),
            '<p class="meta">Dashed: each version\'s score at its validation.</p>',
            "<h2>Drift share per drop</h2>",
            _lines_svg({"drift share": _drift_shares(found)}, ticks, percent=True),
            "<h2>Every point</h2>",
            _table(
                model_words.point_columns(found),
                model_words.point_rows(found),
                (found.metric, "vs validation", "drift"),
            ),
        ]
    return _page(title, body)


def _drift_shares(found: ModelHistory) -> list[tuple[float, float | None]]:
    """Each drop's drift share, once (every version that scored a drop saw the same data)."""
    shares: dict[float, float | None] = {}
    for p in found.points:
        shares.setdefault(p.drop_index, p.drift_share)
    return list(shares.items())


def _lines_svg(
    series: dict[str, list[tuple[float, float | None]]],
    ticks: dict[float, str],
    alarms: set[tuple[str, float]] | None = None,
    percent: bool = False,
    guides: dict[str, float] | None = None,
) -> str:
    """One line per series over the drop numbers, a legend above; points in `alarms` (series,
    x) ringed in red; `guides` a dashed level per series (its validation score)."""
    width, height, left, bottom, top_pad = 720, 260, 52, 30, 26
    plot_w, plot_h = width - left - 40, height - bottom - top_pad  # room for the last drop's name
    points = [(x, y) for values in series.values() for x, y in values if y is not None]
    xs = [x for x, _ in points] + list(ticks)
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    ys = [y for _, y in points] + list((guides or {}).values())
    y_lo, y_hi = (
        (0.0, max(ys, default=1.0) or 1.0) if percent else (min(ys, default=0.0), max(ys, default=1.0))
    )
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    pad = (y_hi - y_lo) * 0.08
    y_lo, y_hi = (y_lo, y_hi + pad) if percent else (y_lo - pad, y_hi + pad)

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (x - x_lo) / (x_hi - x_lo) if x_hi > x_lo else 0.5
        return left + fx * plot_w, top_pad + plot_h * (1 - (y - y_lo) / (y_hi - y_lo))

    parts = [_axis_y(left, width - 16, top_pad, plot_h, y_lo, y_hi, percent)]
    for x, label in ticks.items():
        px, _ = at(x, y_lo)
        parts.append(
            f'<text x="{px:.1f}" y="{height - bottom + 16}" text-anchor="middle">{_esc(_cut(label))}</text>'
        )
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        if guides and name in guides:
            _, gy = at(x_lo, guides[name])
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="{color}" '
                f'stroke-dasharray="5 4" stroke-width="1.2"/>'
            )
        drawn = [(x, at(x, y)) for x, y in values if y is not None]
        if len(drawn) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for _, (px, py) in drawn)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.2"/>')
        for x, (px, py) in drawn:
            # A degraded point keeps its version's colour, ringed in red.
            ring = (
                'r="5.5" stroke-width="3"' if alarms and (name, x) in alarms else 'r="4.2" stroke-width="1"'
            )
            stroke = ALARM_COLOR if alarms and (name, x) in alarms else "white"
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" {ring} fill="{color}" stroke="{stroke}"/>')
        parts.append(
            f'<rect x="{left + i * 150}" y="4" width="12" height="12" fill="{color}"/>'
            f'<text x="{left + i * 150 + 17}" y="14">{_esc(_cut(name, 20))}</text>'
        )
    if alarms:
        x0 = left + len(series) * 150
        parts.append(
            f'<circle cx="{x0 + 6}" cy="10" r="4.5" fill="white" stroke="{ALARM_COLOR}" stroke-width="3"/>'
            f'<text x="{x0 + 15}" y="14">degraded</text>'
        )
    return _svg(width, height, parts)


# -- drawing ------------------------------------------------------------------------------------
def _svg(width: int, height: int, parts: Iterable[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img">{"".join(parts)}</svg>'
    )


def _axis_y(
    left: float, right: float, top: float, plot_h: float, low: float, high: float, percent: bool
) -> str:
    """Three gridlines with their values, and the axis line."""
    parts = []
    for k in range(3):
        value = low + (high - low) * k / 2
        y = top + plot_h * (1 - k / 2)
        label = f"{value:.0%}" if percent else fmt_num(value, 3)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_esc(label)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#9aa3ad"/>')
    return "".join(parts)


def _cut(text: str, most: int = 14) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
