from __future__ import annotations

import pytest
from typer.testing import CliRunner

from workbench.cli.main import app


@pytest.fixture
def wb(tmp_path, monkeypatch):
    """`wb(*args, code=0)`: the CLI run in a fresh workspace in tmp_path, its exit code checked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WB_RUN_ID", raising=False)
    runner = CliRunner()

    def run(*args, code: int = 0):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    run("init")
    return run
