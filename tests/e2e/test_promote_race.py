"""Two `wb model promote` of the same version started together: one moves the alias, the other
is refused with a reason, and the alias history holds one move, so rollback walks it right."""

from __future__ import annotations

from pathlib import Path

from .conftest import Runner, popen_wb

TRIALS = 3


def test_concurrent_promotes_move_the_alias_once(tmp_path: Path, wb: Runner):
    demo = tmp_path / "demo"
    wb("demo", demo, "--no-ui", cwd=tmp_path).ok()
    history = len(wb("model", "show", "demand", "--json", cwd=demo).json()["alias_history"])
    for _ in range(TRIALS):
        procs = [popen_wb("model", "promote", "demand@2", "--to", "production", "--force",
                          "--reason", "race", cwd=demo) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 2], results
        loser = next(err for code, _, err in results if code == 2)
        assert "already" in loser or "meanwhile" in loser, loser
        assert "Traceback" not in loser
        history += 1
        shown = wb("model", "show", "demand", "--json", cwd=demo).json()
        assert len(shown["alias_history"]) == history
        assert shown["aliases"] == ["production"] or "production" in shown["aliases"]
        wb("model", "rollback", "demand", cwd=demo).ok()
        history += 1
        assert wb("model", "show", "demand@production", "--json", cwd=demo).json()["version"] == 1
