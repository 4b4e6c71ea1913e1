"""Dataset aliases (`sales@reference`), the bytes an earlier version holds, and the watcher's
reference: what a user reads and what resolves."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DROPS
from workbench.core import events
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput, NotFound
from workbench.core.monitoring.watcher import Watcher


@pytest.fixture
def three(ws, tmp_path):
    """sales@1..3 from three small files."""
    for i in range(3):
        path = tmp_path / f"v{i}.csv"
        path.write_text(f"a,b\n{i},x\n{i + 1},y\n")
        datasets.add(ws, path, "sales")
    return ws


def test_a_tag_resolves_wherever_a_reference_is_taken_and_moves(three):
    ws = three
    done = datasets.tag(ws, "sales@1", "reference")
    assert (done.before, done.unchanged) == (None, False)
    assert datasets.resolve(ws, "sales@reference").version == 1
    assert datasets.resolve(ws, "sales@Reference").version == 1  # one alias, any case
    assert datasets.resolve(ws, "sales@1").tags == ("reference",)
    assert datasets.load(ws, datasets.resolve(ws, "sales@reference")).height == 2

    moved = datasets.tag(ws, "sales@3", "reference")
    assert (moved.before, moved.version.version) == (1, 3)
    assert datasets.resolve(ws, "sales@reference").version == 3
    assert [v.tags for v in datasets.log(ws, "sales")] == [(), (), ("reference",)]
    assert datasets.resolve(ws, "sales@3").summary()["tags"] == ["reference"]
    kinds = [(e.kind, e.message) for e in events.recent(ws.conn, 2)]
    assert kinds == [
        ("dataset.tag", "tagged sales@3 as sales@reference (was @1)"),
        ("dataset.tag", "tagged sales@1 as sales@reference"),
    ]

    again = datasets.tag(ws, "sales@3", "reference")  # already there: no change, no event
    assert again.unchanged and events.recent(ws.conn, 1)[0].message.endswith("(was @1)")


@pytest.mark.parametrize(
    "alias, why",
    [
        ("7", "'7' cannot be an alias of sales: it reads as a version number"),
        ("latest", "'latest' cannot be an alias of sales: it reads as the latest version"),
        ("LATEST", "'LATEST' cannot be an alias of sales: it reads as the latest version"),
        ("beef", "'beef' cannot be an alias of sales: it reads as a hash prefix (4 or more hex digits)"),
        ("a b", "alias name 'a b' is not allowed"),
    ],
)
def test_an_alias_that_reads_as_something_else_is_refused(three, alias, why):
    with pytest.raises(InvalidInput) as refused:
        datasets.tag(three, "sales@2", alias)
    assert str(refused.value).startswith(why)
    assert datasets.aliases(three, "sales") == []


def test_untag_removes_the_alias_not_the_version(three):
    ws = three
    datasets.tag(ws, "sales@2", "reference")
    assert datasets.untag(ws, "sales", "reference").version.ref == "sales@2"
    assert datasets.resolve(ws, "sales@2").tags == ()
    with pytest.raises(NotFound, match="has no alias 'reference'; `wb data tag REF ALIAS`"):
        datasets.resolve(ws, "sales@reference")
    assert events.recent(ws.conn, 1)[0].message == "removed the alias sales@reference (was @2)"
    datasets.tag(ws, "sales@1", "gold")
    with pytest.raises(NotFound, match=r"no alias 'reference' \(its aliases: gold\)"):
        datasets.untag(ws, "sales", "reference")
    with pytest.raises(NotFound, match="no dataset named 'nosuch'"):
        datasets.untag(ws, "nosuch", "gold")


def test_bytes_an_earlier_version_holds_say_so(ws, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("x\n2\n")
    assert datasets.add(ws, a, "sales").same_as is None
    datasets.add(ws, b, "sales")
    again = datasets.add(ws, a, "sales")  # older bytes again: a new version, that says so
    assert (again.version.version, again.unchanged, again.same_as) == (3, False, "sales@1")
    assert again.to_dict()["same_as"] == "sales@1"
    assert events.recent(ws.conn, 1)[0].message == "added sales@3 (1 row) from a.csv; same bytes as sales@1"
    latest = datasets.add(ws, a, "sales")
    assert (latest.unchanged, latest.same_as) == (True, "sales@3")


def test_the_watcher_checks_each_drop_against_the_reference_alias(ws, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    datasets.add(ws, DROPS / "week_02.csv", "sales")
    datasets.tag(ws, "sales@1", "reference")
    shutil.copy(DROPS / "week_03.csv", drops / "week_03.csv")
    [outcome] = Watcher(ws, drops, "sales").run(once=True)
    assert outcome.version == "sales@3"
    assert "drift against sales@1 (sales@reference)" in outcome.detail
    reports = ws.conn.execute("SELECT reference, current FROM drift_reports").fetchall()
    assert [tuple(r) for r in reports] == [("sales@1", "sales@3")]


def test_without_the_alias_the_watcher_checks_against_the_version_before(ws, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    datasets.add(ws, DROPS / "week_02.csv", "sales")
    datasets.tag(ws, "sales@1", "gold")  # another alias is not the reference
    shutil.copy(DROPS / "week_03.csv", drops / "week_03.csv")
    [outcome] = Watcher(ws, drops, "sales").run(once=True)
    assert "drift against sales@2" in outcome.detail and "(sales@" not in outcome.detail


def test_a_drop_of_bytes_wb_data_add_took_says_whose_they_are(ws, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    datasets.add(ws, DROPS / "week_02.csv", "sales")
    shutil.copy(DROPS / "week_01.csv", drops / "renamed.csv")
    [outcome] = Watcher(ws, drops, "sales").run(once=True)
    assert (outcome.status, outcome.detail) == ("unchanged", "same bytes as sales@1")
    assert [v.version for v in datasets.log(ws, "sales")] == [1, 2]
