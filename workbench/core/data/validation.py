"""Checking dataset versions against their dataset's contract, and recording the result: what
ties `contracts` (the rules, pure) to `datasets` (the versions), so neither imports the other
both ways."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..storage.workspace import Workspace
from . import contracts, datasets


def infer(ws: Workspace, version: datasets.DatasetVersion) -> str:
    """A contract (TOML text, with comments) that `version` passes and a normal drop would too
    (from its profile: its data is read only for a profile from before category counts)."""
    return contracts.infer(lambda: datasets.load(ws, version), version.profile, version.ref)


def get(ws: Workspace, name: str) -> dict[str, Any]:
    text = contracts.get_text(ws, name)
    if text is None:
        datasets.log(ws, name)  # an unknown dataset is that error, not "no contract"
        raise NotFound(
            f"dataset {name!r} has no contract; make one with "
            f"`wb data contract infer {name} -o FILE` and `wb data contract set`"
        )
    return contracts.parse(text, f"the contract of {name}")


@dataclass(frozen=True)
class AttachedContract:
    """`wb data contract show`: a dataset's contract as its author wrote it, and as read."""

    name: str  # the dataset
    text: str  # the TOML, comments and all
    rules: dict[str, Any]  # what `get` parses it to: the --json document

    def to_dict(self) -> dict[str, Any]:
        return self.rules


def attached(ws: Workspace, name: str) -> AttachedContract:
    rules = get(ws, name)  # none: the error `get` raises
    return AttachedContract(name, contracts.get_text(ws, name) or "", rules)


@dataclass(frozen=True)
class ContractCheck:
    """`wb data validate REF|PATH`: what `check` checked and the violations it found."""

    checked: str  # the version's ref or the file's path
    violations: list[contracts.Violation]

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "violations": [v.to_dict() for v in self.violations]}


def check(
    ws: Workspace, target: str, contract_name: str | None = None, *, record: bool = True
) -> tuple[str, list[contracts.Violation]]:
    """Validate a dataset version (REF) or a plain file (PATH) against a contract: the named
    dataset's, or the version's own dataset's. Returns (what was checked, violations). A
    version's result is recorded (its `valid` flag, an event) unless `record` is False: a
    look, as the TUI's, changes nothing."""
    from . import big_inputs

    big = big_inputs.of_target(ws, target)
    if big is None:
        label, df, version = datasets.load_ref_or_file(ws, target)
    else:
        label, df, version = big.label, None, big.version
    if contract_name:
        contract = get(ws, contract_name)
    elif version is not None:
        contract = get(ws, version.name)
    else:
        raise InvalidInput(f"{target} is a file: say whose contract to check it against with --contract NAME")
    violations = contracts.validate(df, contract) if big is None else _streamed(ws, big, contract)
    # A read-only workspace (a mounted backup) is checked all the same, only not written to.
    if record and not ws.read_only and version is not None and contract_name in (None, version.name):
        datasets.record_validation(ws, version, violations)
    return label, violations


@dataclass(frozen=True)
class Sweep:
    """What `wb data validate --all NAME` did: the versions it checked, each with its
    violations, and those it left as already checked."""

    name: str
    checked: list  # [(DatasetVersion, [contracts.Violation])], oldest first
    already: list  # DatasetVersions checked before
    recorded: bool  # False in a read-only workspace: checked, not written down

    @property
    def broken(self) -> list:
        return [v for v, found in self.checked if found]

    def to_dict(self) -> dict[str, Any]:
        """`wb data validate --all --json`: every violation found (with its version), then
        each version checked."""
        return {
            "passed": not self.broken,
            "violations": [{**x.to_dict(), "version": v.version} for v, found in self.checked for x in found],
            "versions": [
                {
                    "version": v.version,
                    "ref": v.ref,
                    "passed": not found,
                    "violations": [x.to_dict() for x in found],
                }
                for v, found in self.checked
            ],
            "already_checked": [v.version for v in self.already],
            "recorded": self.recorded,
        }


def check_unchecked(ws: Workspace, name: str) -> Sweep:
    """Check every version of dataset `name` that was never checked (those added before its
    contract was set) against its contract, and record each result as `wb data validate
    REF` does. Versions of the same bytes are read once."""
    versions = datasets.log(ws, name)  # an unknown dataset: that error first
    contract = get(ws, name)
    record = not ws.read_only
    checked, by_hash = [], {}
    for version in versions:
        if version.valid is not None:
            continue
        if version.hash not in by_hash:
            by_hash[version.hash] = _violations(ws, version, contract)
        violations = by_hash[version.hash]
        if record:
            datasets.record_validation(ws, version, violations)
        checked.append((version, violations))
    return Sweep(name, checked, [v for v in versions if v.valid is not None], record)


def _violations(ws: Workspace, version: datasets.DatasetVersion, contract: dict[str, Any]) -> list:
    """How a stored version breaks `contract`: read whole, or in batches when it is too big."""
    from . import big_inputs

    big = big_inputs.of_version(ws, version)
    if big is None:
        return contracts.validate(datasets.load(ws, version), contract)
    return _streamed(ws, big, contract)


def _streamed(ws: Workspace, big: Any, contract: dict[str, Any]) -> list:
    """A contract's checks on data too big to read whole, batch by batch (contract_stream.py)."""
    from . import big_inputs, contract_stream

    with big_inputs.verified(ws, big):
        return contract_stream.validate_file(big.path, big.fmt, contract, ws.config.data.memory_budget_mb)
