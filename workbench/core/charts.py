"""Charts drawn as terminal text (plotext), for the CLI and the TUI alike."""

from __future__ import annotations

COLORS = ("blue", "red", "green", "orange", "magenta", "cyan")


def line_chart(title: str, series: dict[str, list[tuple[float, float | None]]], width: int,
               height: int = 15) -> str:
    """One line per named series of (step, value) points; ANSI-coloured text."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    for i, (name, points) in enumerate(series.items()):
        points = [(x, y) for x, y in points if y is not None]
        if points:
            plt.plot([x for x, _ in points], [y for _, y in points], label=name,
                     color=COLORS[i % len(COLORS)])
    plt.title(title)
    plt.xlabel("step")
    return plt.build()
