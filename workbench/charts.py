"""Charts drawn as terminal text (plotext), for the CLI and the TUI alike."""

from __future__ import annotations

import threading

COLORS = ("blue", "red", "green", "orange", "magenta", "cyan")
# plotext draws on one module-level figure: the TUI's worker threads must take turns.
_FIGURE = threading.Lock()


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float | None]]],
    width: int,
    height: int = 15,
    xlabel: str = "step",
    xticks: dict[float, str] | None = None,
) -> str:
    """One line per named series of (step, value) points; ANSI-coloured text. `xticks` names
    some of the x values (the drops of a model's history) instead of numbering them."""
    import plotext as plt

    with _FIGURE:
        plt.clear_figure()
        plt.limitsize(False, False)  # the size asked for, not plotext's guess of the terminal's
        plt.plotsize(width, height)
        plt.theme("clear")
        for i, (name, points) in enumerate(series.items()):
            points = [(x, y) for x, y in points if y is not None]
            if len(points) == 1:  # a line of one point would be one dot of braille: mark it
                plt.scatter(*zip(*points, strict=True), label=name, color=COLORS[i % len(COLORS)], marker="●")
            elif points:
                plt.plot(
                    [x for x, _ in points], [y for _, y in points], label=name, color=COLORS[i % len(COLORS)]
                )
        if xticks:
            plt.xticks(list(xticks), list(xticks.values()))
        plt.title(title)
        plt.xlabel(xlabel)
        return plt.build()


def bars_side_by_side(series: dict[str, list[float]], labels: list[str], width: int, height: int = 14) -> str:
    """One bar chart per named series, next to each other on the same y scale (so two
    distributions of shares compare at a glance); ANSI-coloured text."""
    import plotext as plt

    top = max((v for values in series.values() for v in values), default=0) or 1
    ticks = sorted({0, len(labels) // 2, len(labels) - 1}) if labels else []
    charts = []
    with _FIGURE:
        # Drawn one by one and joined line by line: plotext's subplots keep their grid in
        # its global figure, which would leak into the next chart drawn.
        for i, (name, values) in enumerate(series.items()):
            plt.clear_figure()
            plt.plotsize((width - len(series) + 1) // len(series), height)  # and the gaps
            plt.theme("clear")
            plt.bar(list(range(len(values))), values, color=COLORS[i % len(COLORS)], width=0.9)
            plt.ylim(0, top * 1.05)
            plt.xticks(ticks, [labels[t] for t in ticks])
            plt.title(name)
            charts.append(plt.build())
    return beside(charts)


def beside(charts: list[str]) -> str:
    """Charts of the same height next to each other, a space between, joined line by line."""
    return "\n".join(" ".join(row) for row in zip(*(c.splitlines() for c in charts), strict=False))
