"""Where each `wb` command lives, and the line `wb --help` shows for it.

The root loads a command's module only when that command runs (or its own help is shown):
`wb --help` and `wb status` then import one module of ours instead of all of them. The
summaries are each command's first sentence, as click would take it from the docstring;
tests/cli/test_help.py fails when one drifts from its command."""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    module: str  # under workbench.cli
    attribute: str  # a function (one command) or a typer.Typer (a group of them)
    summary: str
    options_first: bool = False  # `wb run -e X -- python train.py --its-own-flags`


# In the order `wb --help` lists them: the daily commands first, then the nouns.
COMMANDS: dict[str, Entry] = {
    "ui": Entry("main", "ui", "Open the terminal UI (what a bare `wb` does on a terminal)."),
    "init": Entry("workspace_cmds", "init", "Make a workspace (PATH/.wb/) here or in PATH."),
    "status": Entry("workspace_cmds", "status", "What the workspace holds."),
    "log": Entry("workspace_cmds", "log", "The audit log, newest first."),
    "demo": Entry("demo", "demo", "Build a demo workspace from the sample data, then open the TUI on it."),
    "fsck": Entry(
        "maintenance",
        "fsck",
        "Re-hash every object and check every reference; exit 1 when anything is wrong.",
    ),
    "gc": Entry(
        "maintenance", "gc", "Delete objects nothing refers to (sparing those younger than the grace period)."
    ),
    "run": Entry(
        "runs",
        "run",
        "Run any program as a tracked run: `wb run -e demand -d sales@3 -- python train.py`.",
        options_first=True,
    ),
    "train": Entry("train", "train", "Train a built-in model on a dataset version, as tracked runs."),
    "watch": Entry("watch", "watch", "Version, validate and drift-check every file that lands in DIR."),
    "predict": Entry(
        "model",
        "predict",
        "Score a file or a dataset version with a registered model; the input's columns plus predictions.",
    ),
    "import": Entry(
        "model", "import_", "Import a model bundle: every hash checked before anything is written."
    ),
    "push": Entry(
        "remote",
        "push",
        "Upload to a remote what it lacks: objects, and the records of dataset versions, contracts, "
        "runs, drift reports, model versions and alias moves.",
    ),
    "pull": Entry(
        "remote",
        "pull",
        "Download from a remote what this workspace lacks, verified: the dataset versions, contracts, "
        "runs, drift reports, model versions and alias moves it brings (a version whose bytes are "
        "here already is not added again).",
    ),
    "clone": Entry(
        "remote", "clone", "A new workspace from a remote, with it as the default remote (`origin`)."
    ),
    "data": Entry("data", "app", "Versioned datasets: add, list, log, show, diff, checkout, tag."),
    "runs": Entry("runs", "app", "Tracked runs: list, show, tag, artifacts, compare, reproduce, kill, rm."),
    "drift": Entry("drift", "app", "Drift checks: compare a new drop with a reference."),
    "alerts": Entry("alerts", "app", "Alerts raised by drift checks and the watcher."),
    "model": Entry(
        "model", "app", "The model registry: register, list, show, history, promote, rollback, evaluate."
    ),
    "rollout": Entry(
        "rollout", "app", "Roll a challenger out to some segments, join outcomes, promote or roll back."
    ),
    "remote": Entry(
        "remote", "app", "Remotes to push to and pull from: an S3-compatible bucket or a folder."
    ),
}
