"""A user's own scikit-learn pipeline, fitted and logged by their script (`python train.py`),
registered, promoted through the gates, scored by `wb predict` and `wb model evaluate` as a
`wb train` model is, fetched
back with `wb runs artifacts` and `workbench.load_model`; a model logged without what scoring
needs is refused at `wb model register` with the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl

from .conftest import DROPS, wb_env

SCRIPT = """
import sys
import numpy as np
import polars as pl
import workbench as wb
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

COLUMNS = ["store_id", "region", "category", "price", "promo", "temperature_c"]
with wb.start_run(experiment="scripted") as run:
    if sys.argv[2] == "pipeline":  # read as a version: the gates check it against sales
        df = run.use_dataset("sales@1")
    else:
        df = pl.read_csv(sys.argv[1], try_parse_dates=True)
    X = df.select(COLUMNS)
    if sys.argv[2] == "pipeline":
        model = Pipeline([
            ("prep", ColumnTransformer([
                ("cat", OneHotEncoder(handle_unknown="ignore"), COLUMNS[:3]),
                ("num", SimpleImputer(), COLUMNS[3:])])),
            ("model", Ridge(alpha=1.0))]).fit(X, df["units_sold"])
        run.log_model(model, input_example=X.head(5), target="units_sold")
        pl.DataFrame({"prediction": model.predict(X)}).write_csv("own.csv")
    else:  # fitted on a bare array, logged without an example: nothing says what it takes
        model = LinearRegression().fit(np.nan_to_num(X.select(COLUMNS[3:]).to_numpy()),
                                       df["units_sold"].to_numpy())
        run.log_model(model)
    print(run.id)
"""


def script(workspace: Path, kind: str) -> str:
    (workspace / "train.py").write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, "train.py", str(DROPS / "week_01.csv"), kind],
        cwd=workspace,
        env=wb_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_a_scripts_pipeline_registers_predicts_evaluates_and_comes_back(wb, workspace):
    wb("data", "add", DROPS / "week_01.csv", "--name", "sales", cwd=workspace).ok()
    run_id = script(workspace, "pipeline")

    registered = wb("model", "register", run_id, "--name", "demand", cwd=workspace).ok()
    assert "registered demand@1" in registered.stdout
    wb("predict", "demand@1", DROPS / "week_01.csv", "-o", "out.csv", cwd=workspace).ok()
    got = pl.read_csv(workspace / "out.csv").get_column("prediction").to_numpy()
    own = pl.read_csv(workspace / "own.csv").get_column("prediction").to_numpy()
    assert np.allclose(got, own)

    evaluated = wb("model", "evaluate", "demand@1", "--data", "sales", "--json", cwd=workspace).json()
    assert evaluated["overall"]["demand@1"]["rmse"] > 0
    promoted = wb(
        "model", "promote", "demand@1", "--to", "production", "--json", cwd=workspace
    ).json()  # through the gates: its inputs are on record
    assert promoted["promoted"] and all(g["passed"] for g in promoted["gates"]), promoted
    wb("predict", "demand@production", "sales@1", "-o", "prod.csv", cwd=workspace).ok()
    assert np.allclose(pl.read_csv(workspace / "prod.csv").get_column("prediction"), own)

    listed = wb("runs", "artifacts", run_id[:8], "--json", cwd=workspace).json()
    model = next(a for a in listed if a["kind"] == "model")
    assert model["path"] == "model" and model["size"] > 0
    table = wb("runs", "artifacts", run_id[:8], cwd=workspace).ok().stdout
    assert model["hash"][:12] in table and model["hash"] not in table
    fetched = wb("runs", "artifacts", run_id[:8], "--get", "model", "-o", "model.skops", cwd=workspace).ok()
    assert "verified" in fetched.stdout and (workspace / "model.skops").stat().st_size == model["size"]
    again = wb(
        "runs", "artifacts", run_id[:8], "--get", "model", "-o", "model.skops", cwd=workspace
    ).failed_cleanly(2)
    assert "model.skops already exists" in again
    unknown = wb(
        "runs", "artifacts", run_id[:8], "--get", "plot.png", "-o", "p.png", cwd=workspace
    ).failed_cleanly(2)
    assert "no artifact 'plot.png'" in unknown and "model" in unknown

    check = (
        "import json, sys, polars as pl, workbench as wb\n"
        "m = wb.load_model('demand@1')\n"
        "X = pl.read_csv(sys.argv[1], try_parse_dates=True)\n"
        "print(json.dumps(m.predict(X.select(m.feature_names_in_.tolist())).tolist()))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check, str(DROPS / "week_01.csv")],
        cwd=workspace,
        env=wb_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert np.allclose(json.loads(proc.stdout), own)


def test_a_model_logged_without_its_inputs_is_refused_at_register_with_the_fix(wb, workspace):
    run_id = script(workspace, "bare")
    error = wb("model", "register", run_id, "--name", "demand", cwd=workspace).failed_cleanly(2)
    assert error.endswith(
        "cannot score data: it was logged without its input columns and their "
        "types (log it with run.log_model(model, input_example=df))"
    )
    listed = wb("runs", "artifacts", run_id[:8], "--json", cwd=workspace).json()
    assert [a["kind"] for a in listed if a["kind"] == "model"] == ["model"]  # still kept
