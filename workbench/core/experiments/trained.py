"""What `wb train` made: its runs, and the model version registered from the best of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .records import RunSummary

if TYPE_CHECKING:
    from ..models.registry import ModelVersion
    from .search import SearchSummary


@dataclass(frozen=True)
class Trained:
    """`wb train`: one run, or a sweep's, in the order they were trained."""

    runs: list[RunSummary]
    register_asked: bool  # --register was given: the JSON says what came of it
    registered: ModelVersion | None = None  # None as well when no run finished
    search: SearchSummary | None = None  # the runs are a random or TPE search's trials

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "runs": [
                {"id": r.id, "name": r.name, "status": r.status, "params": r.params, "metrics": r.metrics}
                for r in self.runs
            ]
        }
        if self.register_asked:
            mv = self.registered
            document["registered"] = mv and {"name": mv.name, "version": mv.version, "run_id": mv.run_id}
        if self.search:
            document["search"] = self.search.to_dict()
        return document
