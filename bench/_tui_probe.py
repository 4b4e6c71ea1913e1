"""Helper of `tui.py` (not a benchmark itself): wb's TUI, headless, in a fresh process.

    python bench/_tui_probe.py ROOT --t0 MONOTONIC [--script first|runs|paging] [--where TEXT]

It imports what `wb` imports (`workbench.cli.main`, then `workbench.tui.app` as `wb ui` does),
opens `WbApp(ROOT)` with `app.run(headless=True, size=(120, 40), auto_pilot=...)`, and the auto
pilot drives it: after every key it settles (`pilot.pause()`, `app.workers.wait_for_complete()`,
`pilot.pause()`, again while any worker or any load of a screen is still going; no sleeps),
notes the screen's table `row_count`, `title` and `sub_title`, and exits at the end of the
script. Scripts: `first` (the first screen only), `runs` (then "2"), `paging` (then it awaits
the app's first one-second poll, which reloads the current screen once, so that it lands in no
timed step; then "2", "]", "[", "]" five times, an unbound key as the pilot's floor, "slash",
the filter typed key by key, "enter", "]", "s" and "o": a sort and its order, the filter on).
It exits with the app's return code (1 if the app
crashed; Textual prints why on stderr).

Times are `time.monotonic()`, which on Linux is one clock for every process, so they are
comparable with `--t0`, the parent's clock just before it started this process. "Painted" is
the last compositor update of a step, "rows painted" the first one whose screen's sub_title
(which rows of how many, the filter, the sort) differs from the step's start: every update is
recorded by a wrapper of `App._display`, which also turns it into the terminal string a real
terminal would get (headless Textual skips that step) and discards it. Each screen's `load`
and `detail` (the views functions its thread workers call) are wrapped to time the database
part. One JSON document on stdout at the end.
"""

from __future__ import annotations

import time

T_START = time.monotonic()  # before any import but time's: the interpreter is up

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

SIZE = (120, 40)
WHERE = "params.p1 > 0.5 and metrics.m1 < 0.3"
FLOOR_KEY = "f12"  # bound to nothing in wb: the pilot's own cost of a key and a settle


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root", type=Path)
    p.add_argument("--t0", type=float, required=True, help="the parent's time.monotonic()")
    p.add_argument("--script", choices=("first", "runs", "paging"), default="first")
    p.add_argument("--where", default=WHERE)
    args = p.parse_args()

    import workbench.cli.main  # noqa: F401  what the `wb` console script imports
    from workbench.core.storage.workspace import Workspace
    from workbench.tui.app import WbApp  # what `wb ui` imports when the UI opens

    t_imported = time.monotonic()
    root = Workspace.find(args.root).root  # as `wb -w ROOT` finds it
    app = WbApp(root)
    paints: list[tuple[float, str]] = []  # (when, the screen's sub_title then)
    loads: list[tuple[str, float, float]] = []  # (what, start, end)
    inflight = [0]
    wrapped: set[int] = set()

    def area_sub_title() -> str:
        """The sub_title of the screen under any modal (the filter's): which rows of how many."""
        from textual.screen import ModalScreen  # imported by then: a lookup

        screens = [s for s in app.screen_stack if not isinstance(s, ModalScreen)]
        return str(screens[-1].sub_title or "") if screens else ""

    display = app._display

    def recording_display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        display(screen, renderable)
        if renderable is not None and not app._batch_count:
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)  # what a real terminal's driver would be sent
            paints.append((time.monotonic(), area_sub_title()))

    app._display = recording_display  # type: ignore[method-assign]

    def timing(what: str, fn):  # type: ignore[no-untyped-def]
        def timed(*a, **kw):  # type: ignore[no-untyped-def]
            inflight[0] += 1
            start = time.monotonic()
            try:
                return fn(*a, **kw)
            finally:
                loads.append((what, start, time.monotonic()))
                inflight[0] -= 1

        return timed

    def wrap_screen(name: str, screen) -> None:  # type: ignore[no-untyped-def]
        """Time a screen's views calls, `load` and `detail` (instance attributes today)."""
        if not hasattr(screen, "query") or id(screen) in wrapped:  # a factory, or done
            return
        wrapped.add(id(screen))
        for attr in ("load", "detail"):
            fn = getattr(screen, attr, None)
            if callable(fn) and not hasattr(type(screen), attr):
                setattr(screen, attr, timing(f"{name}.{attr}", fn))

    install_screen = app.install_screen

    def wrapping_install_screen(screen, name):  # type: ignore[no-untyped-def]
        wrap_screen(name, screen)  # before it mounts, so its first load is timed too
        return install_screen(screen, name)

    app.install_screen = wrapping_install_screen  # type: ignore[method-assign]

    def wrap_screens() -> None:
        for name, screen in list(getattr(app, "_installed_screens", {}).items()):
            wrap_screen(name, screen)

    steps: list[dict] = []
    marks: dict[str, float] = {}

    def table_state() -> dict:
        screen = app.screen
        state = {
            "screen": type(screen).__name__,
            "title": str(screen.title or ""),
            "sub_title": str(screen.sub_title or ""),
            "row_count": None,
        }
        for table in screen.query("DataTable"):
            state["row_count"] = table.row_count  # type: ignore[attr-defined]
            try:  # which page is shown: the key of its first row
                state["first_row"] = str(table.ordered_rows[0].key.value)  # type: ignore[attr-defined]
            except (AttributeError, IndexError):
                state["first_row"] = None
            break
        return state

    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        from textual.worker import WorkerError

        await pilot.pause()
        for _ in range(100):
            pending = [w for w in app.workers if not w.is_finished]
            if not pending and not inflight[0]:
                break
            if pending:
                try:
                    await app.workers.wait_for_complete(pending)
                except WorkerError:  # a worker cancelled by a newer one (exclusive=True)
                    pass
            await pilot.pause()  # also lets a cancelled worker's thread finish its load

    async def first_poll(pilot) -> None:  # type: ignore[no-untyped-def]
        """Await the app's first one-second poll of SQLite's data_version, which reloads the
        current screen once ("the first look reports a change"), so that it does not land in a
        timed step. The condition: `app.counter` set and everything settled again."""
        if not hasattr(app, "counter"):
            marks["first_poll"] = None
            return
        deadline = time.monotonic() + 5
        while app.counter is None and time.monotonic() < deadline:  # type: ignore[attr-defined]
            await pilot.pause()
        await settle(pilot)
        marks["first_poll"] = time.monotonic()

    async def step(pilot, name: str, *keys: str) -> None:  # type: ignore[no-untyped-def]
        wrap_screens()
        first_paint = len(paints)
        first_load = len(loads)
        before = area_sub_title()
        start = time.monotonic()
        if keys:
            await pilot.press(*keys)
        await settle(pilot)
        wrap_screens()
        settled = time.monotonic()
        new_paints = [when for when, _ in paints[first_paint:]]
        # The rows are there when the sub_title (which rows, of how many) first changes.
        changed = [when for when, sub_title in paints[first_paint:] if sub_title != before]
        new_loads = loads[first_load:]
        steps.append(
            {
                "step": name,
                "keys": list(keys),
                "start": start,
                "painted": new_paints[-1] if new_paints else None,
                "rows_painted": changed[0] if changed else None,
                "paints": len(new_paints),
                "settled": settled,
                "loads": [(what, end - begin) for what, begin, end in new_loads],
                **table_state(),
            }
        )

    async def auto_pilot(pilot) -> None:  # type: ignore[no-untyped-def]
        marks["pilot"] = time.monotonic()
        await step(pilot, "first screen")
        if args.script == "paging":
            await first_poll(pilot)
        if args.script in ("runs", "paging"):
            await step(pilot, 'runs: "2"', "2")
        if args.script == "paging":
            await step(pilot, 'next page "]"', "]")
            await step(pilot, 'previous page "["', "[")
            for i in range(5):
                await step(pilot, f'next page "]" #{i + 1} of 5', "]")
            await step(pilot, f"floor: {FLOOR_KEY} (bound to nothing)", FLOOR_KEY)
            await step(pilot, 'open filter "slash"', "slash")
            await step(pilot, "type the filter", *args.where)
            await step(pilot, 'apply filter "enter"', "enter")
            await step(pilot, 'next page "]" (filtered)', "]")
            await step(pilot, 'sort, filter on "s"', "s")
            await step(pilot, 'order, filter on "o"', "o")
        marks["exit"] = time.monotonic()
        app.exit()

    t_run = time.monotonic()
    app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
    t_returned = time.monotonic()
    print(
        json.dumps(
            {
                "t0": args.t0,
                "start": T_START,
                "imported": t_imported,
                "run": t_run,
                "returned": t_returned,
                **marks,
                "steps": steps,
                "modules": sorted(
                    m
                    for m in ("polars", "numpy", "sklearn", "lightgbm", "scipy", "textual")
                    if m in sys.modules
                ),
                "return_code": app.return_code,
            }
        )
    )
    return app.return_code or 0  # 1: the app crashed (Textual printed why on stderr)


if __name__ == "__main__":
    sys.exit(main())
