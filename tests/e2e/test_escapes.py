"""Text from data never drives the terminal. Hostile text (ESC[2J that clears the screen, an OSC
0 title ended by BEL, CSI as the one character U+009B, a bidi override and isolate, backspace,
DEL, NUL where it can get in) goes into a real workspace by every way in: a `-m` message, a
CSV's column name and values, a file name, a run's name, params, tags and metric keys (through
`workbench.start_run`), a promotion's reason. Every human output shows it as visible escapes
(`\\x1b`); `--json` keeps the exact text."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import run_wb
from workbench.core.experiments import training
from workbench.core.models import registry
from workbench.core.monitoring import drift
from workbench.core.storage.workspace import Workspace

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u202eR\x08\x7f\u2066I\u2069"
SHOWN = r"\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eR\x08\x7f\u2066I\u2069"  # what a person sees

# One text per way in, each told apart by its start.
MESSAGE = f"msg{HOSTILE}\nsecond line\tend"  # a multi-line message: one row, \n shown
COLUMN = f"col{HOSTILE}"
VALUE = f"val{HOSTILE}"
FILE = "drop\x1b\x07\u202e\x08.csv"  # no `[`: a file name with one is a glob to polars
RUN_NAMES = [f"run{i}{HOSTILE}\x00nul" for i in range(2)]
PARAM, PARAM_VALUE = f"param{HOSTILE}", f"value{HOSTILE}"
TAG, TAG_VALUE = f"tag{HOSTILE}", f"tagged{HOSTILE}"
METRIC = f"metric{HOSTILE}"
REASON = f"reason{HOSTILE}"

# Two runs, logged by a script through the public API (a curve each, params that differ).
SCRIPT = f"""
import json, sys
import workbench as wb
for i, name in enumerate(json.loads(sys.argv[1])):
    with wb.start_run(name=name, params={{{PARAM!r}: {PARAM_VALUE!r} + str(i)}},
                      tags={{{TAG!r}: {TAG_VALUE!r}}}) as run:
        for step in range(3):
            run.log_metric({METRIC!r}, step * (i + 1), step=step)
    print(run.id)
"""


def _drop(path: Path, values: list[str], offset: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["x", COLUMN, "units"])
        out.writerows([i + offset, values[i % len(values)], 2 * i + offset] for i in range(60))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, str]:
    """A workspace holding hostile text everywhere it can get in; run and report ids by name."""
    root = tmp_path_factory.mktemp("hostile")
    run_wb("init", cwd=root).ok()
    _drop(root / FILE, [VALUE, "plain"], 0)
    _drop(root / "later.csv", [f"new{HOSTILE}", "other"], 100)
    run_wb("data", "add", FILE, "--name", "hostile", "-m", MESSAGE, cwd=root).ok()
    run_wb("data", "add", "later.csv", "--name", "hostile", "-m", MESSAGE, cwd=root).ok()
    runs = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(RUN_NAMES)],
        cwd=root,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout.split()
    # A contract inferred onto stdout, then attached: what it prints must still be TOML.
    (root / "hostile.toml").write_text(
        run_wb("data", "contract", "infer", "hostile@1", cwd=root).ok().stdout, encoding="utf-8"
    )
    run_wb("data", "contract", "set", "hostile", "hostile.toml", cwd=root).ok()
    # The rest carries no text of its own from the command line: made here, it spares three
    # starts of wb that import scikit-learn and scipy.
    ws = Workspace(root)
    try:
        run_id = training.train(ws, training.TrainSpec(data="hostile@1", target="units", model="baseline"))
        registry.register(ws, run_id, "demand")
        report = drift.check(ws, "hostile@1", "hostile@2").report_id
        # Last, so that `wb status`'s last event quotes it.
        registry.promote(ws, "demand@1", "staging", reason=REASON)
    finally:
        ws.close()
    return {"root": str(root), "report": report, "run0": runs[0], "run1": runs[1]}


def _args(hostile: dict[str, str], args: tuple[str, ...]) -> list[str]:
    return [a.format(**hostile) for a in args]


def _no_control(text: str) -> None:
    """No character that drives a terminal: no C0 but newline, no DEL, no C1, no bidi control."""
    raw = sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if (ord(c) < 0x20 and c != "\n")
            or 0x7F <= ord(c) < 0xA0
            or "\u202a" <= c <= "\u202e"
            or "\u2066" <= c <= "\u2069"
        }
    )
    assert not raw, f"raw control characters {raw} in:\n{text}"


# (command, what it must show of the hostile text, visibly)
HUMAN = [
    (("data", "log", "hostile"), [r"msg" + SHOWN + r"\nsecond line\tend"]),
    (
        ("data", "show", "hostile@1"),
        ["col" + SHOWN, "val" + SHOWN, "msg" + SHOWN, r"drop\x1b\x07\u202e\x08.csv"],
    ),
    (("data", "diff", "hostile@1", "hostile@2"), ["col" + SHOWN]),
    # TOML's own escapes, which its reader takes back (the fixture attached it).
    (("data", "contract", "show", "hostile"), [r"col\u001b[2J", r"\u009b31m\u202eR\b\u007f"]),
    (("log",), [r"drop\x1b\x07\u202e\x08.csv", "run0" + SHOWN, "reason" + SHOWN]),
    (("runs", "list"), ["run0" + SHOWN, "run1" + SHOWN]),
    (
        ("runs", "show", "{run0}"),
        [
            "run0" + SHOWN + r"\x00nul",
            "param" + SHOWN,
            "value" + SHOWN,
            "tag" + SHOWN,
            "tagged" + SHOWN,
            "metric" + SHOWN,
        ],
    ),
    (("runs", "compare", "{run0}", "{run1}"), ["run0" + SHOWN, "param" + SHOWN, "metric" + SHOWN]),
    (("model", "show", "demand"), ["col" + SHOWN, "reason" + SHOWN]),
    (("drift", "show", "{report}"), ["col" + SHOWN, r"new\x1b[2J"]),
    (("drift", "list"), ["col" + SHOWN]),
    (("alerts", "list"), [r"col\x1b[2J"]),
    (("status",), ["reason" + SHOWN]),
]


@pytest.mark.parametrize("args, shown", HUMAN, ids=[" ".join(a[:2]) for a, _ in HUMAN])
def test_human_output_shows_control_characters_as_escapes(hostile, args, shown):
    result = run_wb(*_args(hostile, args), cwd=Path(hostile["root"])).ok()
    _no_control(result.stdout)
    for text in shown:
        assert text in result.stdout, f"{text!r} not shown\n{result}"


def test_colours_on_a_terminal_leave_the_data_escaped(hostile):
    """With colours on (as on a terminal), rich's own styles are the only escape sequences."""
    result = run_wb("data", "show", "hostile@1", cwd=Path(hostile["root"]), env={"FORCE_COLOR": "1"}).ok()
    assert "\x1b[1m" in result.stdout  # the colours are really on
    for raw in ("\x1b[2J", "\x1b]", "\x07", "\x9b", "\u202e", "\x08", "\x7f"):
        assert raw not in result.stdout, repr(raw)
    assert "col" + SHOWN in result.stdout


# (command, where its JSON holds a text, the exact text)
JSON = [
    (("data", "log", "hostile"), lambda d: d[0]["message"], MESSAGE),
    (("data", "show", "hostile@1"), lambda d: d["profile"]["columns"][1]["name"], COLUMN),
    (("data", "show", "hostile@1"), lambda d: Path(d["source_path"]).name, FILE),
    (
        ("data", "show", "hostile@1"),
        lambda d: sorted(t["value"] for t in d["profile"]["columns"][1]["top_values"])[-1],
        VALUE,
    ),
    (("runs", "show", "{run0}"), lambda d: d["name"], RUN_NAMES[0]),
    (("runs", "show", "{run0}"), lambda d: d["params"][PARAM], PARAM_VALUE + "0"),
    (("runs", "show", "{run0}"), lambda d: d["tags"][TAG], TAG_VALUE),
    (("runs", "show", "{run0}"), lambda d: next(iter(d["metrics"])), METRIC),
    (("model", "show", "demand"), lambda d: d["alias_history"][-1]["reason"], REASON),
    (("drift", "show", "{report}"), lambda d: d["features"][-1]["name"], COLUMN),
]


@pytest.fixture(scope="module")
def json_of(hostile):
    """A command's `--json` document, run once for all the texts looked for in it."""
    printed: dict[tuple[str, ...], str] = {}

    def get(args: tuple[str, ...]):
        if args not in printed:
            printed[args] = run_wb(*_args(hostile, args), "--json", cwd=Path(hostile["root"])).ok().stdout
        return printed[args]

    return get


@pytest.mark.parametrize(
    "args, pick, exact", JSON, ids=[f"{' '.join(a[:2])}-{i}" for i, (a, _, _) in enumerate(JSON)]
)
def test_json_keeps_the_exact_text(json_of, args, pick, exact):
    printed = json_of(args)
    _no_control(printed)  # JSON writes them as its own escapes
    assert pick(json.loads(printed)) == exact


# Errors that quote what was typed: one line on stderr, escaped like any output.
ERRORS = [
    ("data", "log", f"bad{HOSTILE}"),
    ("data", "show", f"hostile@{HOSTILE}"),
    ("runs", "show", f"nope{HOSTILE}"),
    ("run", "-e", f"exp{HOSTILE}", "--", "true"),
    ("runs", "list", "--where", f"params.x = 'a{HOSTILE}' and"),
    ("model", "show", f"demand@{HOSTILE}"),
    ("data", "add", f"missing{HOSTILE}.csv", "--name", "hostile"),
]


@pytest.mark.parametrize("args", ERRORS, ids=[" ".join(a[:2]) for a in ERRORS])
def test_errors_quoting_input_show_it_escaped(hostile, args):
    result = run_wb(*args, cwd=Path(hostile["root"]))
    line = result.failed_cleanly(2)
    _no_control(result.stderr)
    assert r"\x1b[2J" in line, line


# The one function every human path goes through: each kind of character, and what it shows.
VISIBLE = [
    ("\x1b[2J", r"\x1b[2J", r"\x1b[2J"),
    ("\x1b]0;pwned\x07", r"\x1b]0;pwned\x07", r"\x1b]0;pwned\x07"),
    ("\u009b31m", r"\x9b31m", r"\x9b31m"),
    ("a\u202eb\u2066c\u2069", r"a\u202eb\u2066c\u2069", r"a\u202eb\u2066c\u2069"),
    ("ok\x08\x08no\x7f", r"ok\x08\x08no\x7f", r"ok\x08\x08no\x7f"),
    ("nul\x00", r"nul\x00", r"nul\x00"),
    ("fake\rreal", r"fake\rreal", r"fake\rreal"),
    ("one\ntwo\tthree\r\n", r"one\ntwo\tthree\r\n", "one\ntwo\tthree\n"),
    ("bad utf-8 \udcff", r"bad utf-8 \udcff", r"bad utf-8 \udcff"),  # a name os.fsdecode kept
    (r"C:\new\x1b", r"C:\new\x1b", r"C:\new\x1b"),  # backslashes stay: escaping twice is once
    ("naïve 😀 é", "naïve 😀 é", "naïve 😀 é"),
]


@pytest.mark.parametrize("text, in_a_cell, in_lines", VISIBLE, ids=[repr(v[0]) for v in VISIBLE])
def test_visible_escapes_what_drives_a_terminal_and_nothing_else(text, in_a_cell, in_lines):
    from workbench.formatting import visible

    assert visible(text) == in_a_cell
    assert visible(text, lines=True) == in_lines
    assert visible(visible(text)) == in_a_cell
