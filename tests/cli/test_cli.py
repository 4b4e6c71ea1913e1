"""The CLI through typer's CliRunner: what a person and a script see."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.conftest import DROPS
from workbench.cli.main import app


def test_add_list_log_show_in_json(wb):
    added = json.loads(
        wb(
            "data", "add", str(DROPS / "reference.csv"), "--name", "sales", "-m", "first drop", "--json"
        ).stdout
    )
    spec_fields = {k: added[k] for k in ("name", "version", "rows", "columns", "unchanged")}
    assert spec_fields == {"name": "sales", "version": 1, "rows": 22400, "columns": 10, "unchanged": False}
    assert len(added["hash"]) == 64
    assert added["valid"] is None  # no contract: not checked
    listed = json.loads(wb("data", "list", "--json").stdout)
    assert [(d["name"], d["versions"], d["latest"], d["rows"]) for d in listed] == [("sales", 1, 1, 22400)]
    log = json.loads(wb("data", "log", "sales", "--json").stdout)
    assert log[0]["message"] == "first drop" and log[0]["valid"] is None
    shown = json.loads(wb("data", "show", "sales@1", "--json").stdout)
    assert {c["name"] for c in shown["profile"]["columns"]} >= {"units_sold", "price", "date"}


def test_human_output_names_the_version(wb):
    out = wb("data", "add", str(DROPS / "week_01.csv"), "--name", "sales").stdout
    assert "added sales@1" in out and "2,800 rows" in out
    again = wb("data", "add", str(DROPS / "week_01.csv"), "--name", "sales").stdout
    assert "unchanged" in again
    assert "sales" in wb("data", "list").stdout
    assert "units_sold" in wb("data", "show", "sales").stdout


def test_errors_are_one_sentence_and_exit_2(wb, tmp_path):
    result = wb("data", "show", "nosuch", code=2)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: no dataset named 'nosuch'; `wb data list` shows the datasets"
    ]
    bad_name = wb("data", "add", str(DROPS / "week_01.csv"), "--name", "my sales", code=2)
    assert "not allowed" in bad_name.stderr and "Traceback" not in bad_name.stderr


def test_markup_in_data_is_printed_literally(wb, tmp_path):
    path = tmp_path / "markup.csv"
    path.write_text("[bold red]x[/],y\n1,2\n")
    wb("data", "add", str(path), "--name", "m")
    assert "[bold red]x[/]" in wb("data", "show", "m").stdout


def test_outside_a_workspace_says_to_init(tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "wb init" in result.stderr


def test_fsck_exits_1_when_an_object_is_missing(wb, tmp_path):
    added = json.loads(wb("data", "add", str(DROPS / "week_01.csv"), "--name", "s", "--json").stdout)
    obj = tmp_path / ".wb" / "objects" / "blake3" / added["hash"][:2] / added["hash"][2:]
    obj.unlink()
    report = json.loads(wb("fsck", "--json", code=1).stdout)
    assert report["ok"] is False and report["missing"][0]["hash"] == added["hash"]


def test_status_and_log(wb):
    wb("data", "add", str(DROPS / "week_01.csv"), "--name", "sales")
    status = json.loads(wb("status", "--json").stdout)
    assert (status["datasets"], status["dataset_versions"]) == (1, 1)
    events = json.loads(wb("log", "--json").stdout)
    assert [e["kind"] for e in events] == ["dataset.add", "workspace.init"]


def test_the_version_is_written_once_in_pyproject(tmp_path):
    """`wb --version` and `workbench.__version__` read pyproject.toml's version (through the
    installed package's metadata), never a copy that could fall behind."""
    from pathlib import Path

    import tomllib

    import workbench

    declared = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    version = declared["project"]["version"]
    assert workbench.__version__ == version
    assert CliRunner().invoke(app, ["--version"]).stdout == f"wb {version}\n"
