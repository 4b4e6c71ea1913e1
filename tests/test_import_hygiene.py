"""Start-up is a feature: the layering and the lazy imports, checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DROPS
from workbench.cli.commands import COMMANDS

HEAVY = ("sklearn", "lightgbm", "scipy", "textual", "optuna")


def _modules_after(code: str, cwd=None) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, check=True
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


def test_core_imports_no_ui_library():
    """Every module of workbench.core, imported in one fresh interpreter (import-linter checks
    the import statements; this checks what importing them really pulls in)."""
    code = (
        "import importlib, pkgutil, workbench.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'workbench.core.'):\n"
        "    importlib.import_module(m.name)"
    )
    loaded = _modules_after(code)
    assert "workbench" in loaded
    assert not loaded & {"textual", "typer", "rich", "click"}


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    cli = [sys.executable, "-m", "workbench"]
    subprocess.run([*cli, "init"], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [*cli, "data", "add", str(DROPS / "week_01.csv"), "--name", "sales"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return root


@pytest.mark.parametrize(
    "argv, light",
    [
        (["--help"], ("polars",)),
        (["status"], ("polars", "pydantic")),  # typer 0.29 would import pydantic for every command
        (["data", "list"], ("polars",)),
        (["log"], ("polars",)),
        (["data", "log", "sales"], ("polars",)),
    ],
)
def test_fast_commands_import_no_heavy_library(workspace_dir, argv, light):
    code = (
        "from workbench.cli.main import app\n"
        f"try:\n    app({argv!r}, prog_name='wb')\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code"
    )
    loaded = _modules_after(code, cwd=workspace_dir)
    assert not loaded & {*HEAVY, *light}


def test_wb_help_loads_no_command():
    """`wb --help` lists the commands from their summaries, loading none of their modules;
    `wb status` loads its own module and no other command's."""

    def loaded(argv: list[str]) -> set[str]:
        code = (
            "import sys\nfrom workbench.cli.main import app\n"
            f"try:\n    app({argv!r}, prog_name='wb')\nexcept SystemExit:\n    pass\n"
            "print(' '.join(m for m in sys.modules if m.startswith('workbench.')))"
        )
        script = f"import sys\n{code}"
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        return set(out.splitlines()[-1].split())

    commands = {f"workbench.cli.{entry.module}" for entry in COMMANDS.values()} - {"workbench.cli.main"}
    assert loaded(["--help"]) & commands == set()
    assert loaded(["status", "--help"]) & commands == {"workbench.cli.workspace_cmds"}


def test_importing_the_cli_leaves_the_excepthook_alone():
    """Only a process that logs runs notes its crashes; the CLI's own error handling stays."""
    code = (
        "import sys\nbefore = sys.excepthook\nimport workbench.cli.main\n"
        "assert sys.excepthook is before, sys.excepthook"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
