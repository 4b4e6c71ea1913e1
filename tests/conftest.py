from __future__ import annotations

from pathlib import Path

import pytest

from tests.remotes.s3_server import s3, s3_server  # noqa: F401  (a real S3 server, for any test)
from workbench.core.storage.workspace import ENV_VAR, Workspace

DROPS = Path(__file__).resolve().parents[1] / "sample_data" / "drops"


@pytest.fixture(autouse=True)
def _no_ambient_workspace(monkeypatch):
    """Tests choose their workspace explicitly; a developer's WB_WORKSPACE must not leak in."""
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    workspace, _ = Workspace.init(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture
def small_csv(tmp_path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(
        "day,store,price,units\n"
        "2026-01-05,S1,1.50,3\n"
        "2026-01-06,S2,2.00,5\n"
        "2026-01-07,S1,,7\n"
        "2026-01-08,S3,2.50,0\n"
    )
    return path
