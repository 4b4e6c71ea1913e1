"""Odd names and odd bytes from the command line, and error text from data on stderr and in the
TUI.

A file whose name holds `[`, `]`, `*`, `?` or `{` is that file, not a glob pattern (polars'
readers would take it for one: no file, or another file that the pattern matches, read
silently): `wb data add`, `wb drift check --current` and `wb predict` read it. An argument that
is not UTF-8 (bytes Python hands over as lone surrogates) is refused before any command sees it:
one sentence showing the bytes as `\\xff`, exit 2, the workspace unchanged. A training run's
failure and the demo's steps on stderr, a TUI text screen's error and a worker's unexpected
error show text from data escaped, and no Textual markup in it is interpreted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import Static

from tests.e2e.conftest import popen_wb, run_wb
from tests.e2e.test_escapes import HOSTILE, SHOWN, _no_control
from workbench.core.errors import WbError
from workbench.core.storage.workspace import Workspace

ROWS = [(1, 2.5, "a"), (2, 3.5, "b"), (3, 4.5, "a"), (4, 5.5, "b")]


def _write(path: Path, columns: list[str], rows: list[tuple]) -> None:
    frame = pl.DataFrame(rows, schema=columns, orient="row")
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    elif path.suffix == ".jsonl":
        frame.write_ndjson(path)
    else:
        frame.write_csv(path)


# (a file name a glob would misread, a plain name that the glob would match instead)
GLOBBY = [
    ("week[1].csv", "week1.csv"),
    ("a*b?.csv", "axxbc.csv"),
    ("x{1,2}.csv", "x1.csv"),
    ("part[1].parquet", "part1.parquet"),
    ("lines[1].jsonl", "lines1.jsonl"),
]


@pytest.fixture(scope="module")
def globs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("globs")
    run_wb("init", cwd=root).ok()
    return root


@pytest.mark.parametrize("name, decoy", GLOBBY, ids=[g[0] for g in GLOBBY])
def test_data_add_reads_the_file_named_not_a_pattern(globs, name, decoy):
    _write(globs / name, ["x", "y", "kind"], ROWS)
    _write(globs / decoy, ["other"], [(9,)])  # what the pattern would have read
    dataset = f"odd{GLOBBY.index((name, decoy))}"
    added = run_wb("data", "add", name, "--name", dataset, "--json", cwd=globs).json()
    assert (added["version"], added["rows"], added["columns"]) == (1, len(ROWS), 3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A workspace with `weekly@1` (from week[1].csv, beside a week1.csv that a glob would
    read instead) and a baseline model of it registered as `demand@1`."""
    from workbench.core.data import datasets
    from workbench.core.experiments import training
    from workbench.core.models import registry

    root = tmp_path_factory.mktemp("trained") / "ws"
    ws, _ = Workspace.init(root)
    try:
        _write(root / "week[1].csv", ["x", "y", "kind"], ROWS * 10)
        _write(root / "week1.csv", ["other"], [(9,)])
        datasets.add(ws, root / "week[1].csv", "weekly", "")
        run_id = training.train(ws, training.TrainSpec(data="weekly@1", target="y", model="baseline"))
        registry.register(ws, run_id, "demand")
    finally:
        ws.close()
    return root


def test_drift_check_reads_a_current_file_named_like_a_pattern(trained):
    report = run_wb(
        "drift", "check", "--reference", "weekly@1", "--current", "week[1].csv", "--json", cwd=trained
    ).json()
    assert report["current"] == "week[1].csv"
    assert [f["name"] for f in report["features"]] == ["x", "y", "kind"]
    assert report["drifted_features"] == 0  # the very file the reference was made from


def test_predict_reads_and_writes_files_named_like_patterns(trained):
    run_wb("predict", "demand@1", "week[1].csv", "-o", "out[1].csv", cwd=trained).ok()
    predicted = pl.read_csv(trained / "out[1].csv", glob=False)
    assert predicted.height == len(ROWS) * 10
    assert not (trained / "out1.csv").exists()


# Not UTF-8: the byte 0xff, as Python hands it over (os.fsdecode), and as the error shows it.
FF = os.fsdecode(b"\xff")
REFUSED = (
    "error: the argument '{}' is not valid UTF-8; wb takes its arguments (file names "
    "too) as UTF-8, so rename the file or retype the text"
)
NOT_UTF8 = [
    (("data", "add", f"a{FF}b.csv", "--name", "s"), r"a\xffb.csv"),
    (("data", "add", "x.csv", "--name", "s", "-m", f"bad{FF}"), r"bad\xff"),
    (("data", "add", "x.csv", f"--name=s{FF}"), r"--name=s\xff"),
    (("runs", "list", "--where", FF), r"\xff"),
    (("run", "--", sys.executable, "-c", "pass", f"arg{FF}\x1b[2J"), r"arg\xff\x1b[2J"),
    (("-w", f"ws{FF}", "status"), r"ws\xff"),
]


@pytest.fixture(scope="module")
def one_version(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bytes")
    run_wb("init", cwd=root).ok()
    _write(root / "x.csv", ["x", "y", "kind"], ROWS)
    (root / os.fsdecode(b"a\xffb.csv")).write_bytes((root / "x.csv").read_bytes())
    run_wb("data", "add", "x.csv", "--name", "s", "-m", "first", cwd=root).ok()
    return root


def _state(root: Path) -> tuple[int, int]:
    """The versions of `s`, and every event (a version added, a run started, ...)."""
    return (
        len(run_wb("data", "log", "s", "--json", cwd=root).json()),
        len(run_wb("log", "--json", cwd=root).json()),
    )


def test_arguments_that_are_not_utf8_are_refused_in_one_sentence(one_version):
    before = _state(one_version)
    for args, shown in NOT_UTF8:
        result = run_wb(*args, cwd=one_version)
        assert result.failed_cleanly(2) == REFUSED.format(shown), result
        _no_control(result.stderr)
    assert _state(one_version) == before == (1, 2)  # the init, and the one version added
    assert run_wb("runs", "list", "--json", cwd=one_version).json() == []
    assert "datasets   1 (1 version)" in run_wb("status", cwd=one_version).ok().stdout
    assert "added s@1" in run_wb("log", cwd=one_version).ok().stdout


# A training run whose failure quotes data: the trainer is made to fail, the rest is wb's CLI.
FAILING_TRAIN = f"""
import sys
from workbench.core.experiments import training
def fail(*args, **kwargs):
    raise ValueError({f"no column [b]c{HOSTILE}[/b]"!r})
training._create_run = fail
sys.argv = ["wb", "train", "--data", "weekly@1", "--target", "y", "--model", "baseline"]
from workbench.cli.main import main
main()
"""


def test_a_failed_run_on_stderr_shows_its_error_escaped(trained):
    proc = subprocess.run(
        [sys.executable, "-c", FAILING_TRAIN],
        cwd=trained,
        timeout=60,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    error = f"ValueError: no column [b]c{SHOWN}[/b]"
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"run - failed: {error}",
        f"error: 1 of 1 run failed; the first: {error}",
    ]
    _no_control(proc.stderr)


def test_demo_steps_show_the_folder_escaped(tmp_path):
    """The first step names the folder; SIGTERM then stops the build, which removes it."""
    folder = tmp_path / "demo\x1b[2J\x07"
    proc = popen_wb("demo", folder.name, "--no-ui", cwd=tmp_path)
    try:
        first = proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert first == f"wrote the sample drops to {tmp_path}/demo\\x1b[2J\\x07/drops\n"
    assert proc.returncode == 130, rest
    assert rest.splitlines()[-1] == (
        r"error: interrupted; the unfinished demo workspace in "
        r"demo\x1b[2J\x07 was removed"
    )
    _no_control(first + rest)
    assert not folder.exists()


# The TUI: a text screen whose maker fails (with a WbError, or with a bug in wb).
MARKUP = "[b]bold[/b] [@click=app.quit]quit[/]"


@pytest.fixture
def tui_workspace(tmp_path):
    ws, _ = Workspace.init(tmp_path / "ws")
    ws.close()
    return ws.root


async def _shown_text(root: Path, make, title: str = "odd"):
    from workbench.tui.app import WbApp
    from workbench.tui.modals import TextScreen

    app = WbApp(root)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await pilot.pause()
        app.push_screen(TextScreen(title, make))
        for _ in range(50):  # until the worker has ended and its messages are handled
            await pilot.pause(0.02)
            if not any(w.state.name in ("PENDING", "RUNNING") for w in app.workers):
                await pilot.pause(0.05)
                break
        text = str(app.screen.query_one("#text", Static).render())
        toasts = [str(t.render()) for t in app.screen.query("Toast")]
        return app.screen.title, text, toasts


async def test_a_text_screen_shows_a_wb_error_escaped(tui_workspace):
    def make(width: int) -> str:
        raise WbError(f"no column {MARKUP}{HOSTILE}")

    title, text, toasts = await _shown_text(tui_workspace, make, title=f"diff{HOSTILE}")
    assert text == f"no column {MARKUP}{SHOWN}"
    assert title == f"wb: diff{SHOWN}"
    assert toasts == []


async def test_an_unexpected_error_is_one_notification_escaped(tui_workspace):
    def make(width: int) -> str:
        raise RuntimeError(f"broke on {MARKUP}{HOSTILE}")

    _, text, toasts = await _shown_text(tui_workspace, make)
    assert text == "odd: working..."  # the screen stays as it was
    assert len(toasts) == 1, toasts
    assert toasts[0] == (
        f"unexpected error in wb (RuntimeError: broke on {MARKUP}{SHOWN}); this screen may be out of date"
    )
    _no_control(toasts[0])
