"""wb: a local-first MLOps workbench. The public Python API, thin over workbench.core.

import workbench as wb

with wb.start_run(experiment="demand", params={"lr": 0.1}) as run:
    df = run.use_dataset("sales@3")
    run.log_metric("rmse", 1.23, step=0)
    run.log_model(model, input_example=df.drop("units_sold"))

model = wb.load_model("demand@production")   # the verified, fitted model
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Run", "WbError", "__version__", "load_model", "start_run"]
DISTRIBUTION = "wb-workbench"  # the name pyproject.toml gives the package, and its version

if TYPE_CHECKING:
    from .core.errors import WbError
    from .core.experiments.tracking import Run, load_model, start_run


def __getattr__(name: str) -> Any:
    # Lazy, so that `import workbench` (and so `wb --help`) costs nothing until the API is used.
    if name in ("start_run", "Run", "load_model"):
        from .core.experiments import tracking

        return getattr(tracking, name)
    if name == "__version__":
        from importlib.metadata import version

        return version(DISTRIBUTION)
    if name == "WbError":
        from .core.errors import WbError

        return WbError
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
