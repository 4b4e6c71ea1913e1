"""The `--where` and `--sort` language of `wb runs list`, run against a real workspace's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import runs
from workbench.core.experiments.query import compile_sort, compile_where
from workbench.core.experiments.tracking import Run
from workbench.core.storage.db import transaction
from workbench.core.storage.workspace import Workspace

SELECT = "SELECT runs.name FROM runs JOIN experiments ON experiments.id = runs.experiment_id WHERE "
ALL = {"alpha", "beta", "gamma", "delta", "eps"}


def _make_run(
    ws: Workspace,
    cwd: Path,
    *,
    name: str,
    experiment: str,
    model: str | None = None,
    params: dict | None = None,
    metrics: list[tuple] = (),
    tags: dict | None = None,
    inputs: tuple = (),
    status: str = "finished",
) -> str:
    run_id = runs.create(
        ws,
        experiment=experiment,
        kind="script",
        command=[],
        cwd=cwd,
        name=name,
        model=model,
        capture_environment=False,
        status="queued" if status == "queued" else "running",
    )
    with transaction(ws.conn) as conn:
        runs.write_params(conn, run_id, params or {})
    with Run(ws, run_id, owned=False) as client:  # the tracking client writes latest metrics
        for key, value, step in metrics:
            client.log_metric(key, value, step=step)
        for key, value in (tags or {}).items():
            client.set_tag(key, value)
    for version in inputs:
        runs.add_input(ws, run_id, version)
    if status not in ("queued", "running"):
        with transaction(ws.conn) as conn:
            runs.finish(conn, run_id, status, store=ws.store)
    return run_id


@pytest.fixture(scope="module")
def qws(tmp_path_factory) -> Workspace:
    """Five runs with params, metrics, tags, inputs and statuses to search among."""
    root = tmp_path_factory.mktemp("query")
    ws, _ = Workspace.init(root / "ws")
    files = {}
    for label, text in {"s1": "a,b\n1,2\n", "s2": "a,b\n1,2\n3,4\n", "o1": "x\n1\n"}.items():
        files[label] = root / f"{label}.csv"
        files[label].write_text(text)
    sales1 = datasets.add(ws, files["s1"], "sales").version
    sales2 = datasets.add(ws, files["s2"], "sales").version
    other1 = datasets.add(ws, files["o1"], "other").version
    _make_run(
        ws,
        root,
        name="alpha",
        experiment="demand",
        model="lightgbm",
        params={"lr": 0.1, "depth": 3, "opt": "adam", "flag": True, "learning rate": 7},
        metrics=[("rmse", 5.0, 0), ("rmse", 1.0, 1), ("r2", 0.9, 0)],
        tags={"team": "a b", "my tag": "yes"},
        inputs=(sales1,),
    )
    _make_run(
        ws,
        root,
        name="beta",
        experiment="demand",
        model="linear",
        params={"lr": 0.01, "depth": 5, "opt": "sgd", "flag": False},
        metrics=[("rmse", 2.0, 0), ("r2", 0.5, 0)],
        tags={"team": "x", "priority": 1},
        inputs=(sales2,),
        status="failed",
    )
    _make_run(
        ws,
        root,
        name="gamma",
        experiment="other",
        model="lightgbm",
        params={"lr": 0.5, "opt": "it's"},
        metrics=[("r2", -0.2, 0)],
        inputs=(other1,),
        status="killed",
    )
    _make_run(
        ws,
        root,
        name="delta",
        experiment="other",
        params={"lr": 0.05},
        metrics=[("rmse", 3.0, 0)],
        status="queued",
    )
    _make_run(ws, root, name="eps", experiment="demand", status="running")
    yield ws
    ws.close()


def names(ws: Workspace, where: str) -> set[str]:
    sql, args = compile_where(where)
    return {r[0] for r in ws.conn.execute(SELECT + sql, args)}


@pytest.mark.parametrize(
    "where, expected",
    [
        # numbers against params
        ("params.lr = 0.1", {"alpha"}),
        ("params.lr == 0.1", {"alpha"}),
        ("params.lr != 0.1", {"beta", "gamma", "delta"}),  # a run without the param never matches
        ("params.lr <> 0.1", {"beta", "gamma", "delta"}),
        ("params.lr < 0.1", {"beta", "delta"}),
        ("params.lr <= 0.1", {"alpha", "beta", "delta"}),
        ("params.lr > 0.1", {"gamma"}),
        ("params.lr >= 0.05", {"alpha", "gamma", "delta"}),
        ("params.depth = 3", {"alpha"}),
        ("params.depth > 3.5", {"beta"}),
        ("params.lr > 1e-2", {"alpha", "gamma", "delta"}),
        ("params.lr > -1", {"alpha", "beta", "gamma", "delta"}),
        # strings against params, bare, single- or double-quoted
        ("params.opt = adam", {"alpha"}),
        ("params.opt = 'sgd'", {"beta"}),
        ('params.opt = "adam"', {"alpha"}),
        ("params.opt != adam", {"beta", "gamma"}),
        ("params.opt = 'it\\'s'", {"gamma"}),
        ("params.opt = 3", set()),
        # quoted keys
        ('params."learning rate" = 7', {"alpha"}),
        ("params.'learning rate' >= 7", {"alpha"}),
        # metrics: the latest value (the highest step), not the first
        ("metrics.rmse < 1.5", {"alpha"}),
        ("metrics.rmse > 4", set()),
        ("metrics.rmse >= 2", {"beta", "delta"}),
        ("metrics.rmse != 2", {"alpha", "delta"}),
        ("metrics.r2 < 0", {"gamma"}),
        ("metrics.nosuch > 0", set()),
        # tags
        ("tags.team = 'a b'", {"alpha"}),
        ("tags.team != x", {"alpha"}),
        ('tags."my tag" = yes', {"alpha"}),
        ("tags.priority = 1", {"beta"}),
        # the columns
        ("status = failed", {"beta"}),
        ("status = 'running'", {"eps"}),
        ("status != finished", {"beta", "gamma", "delta", "eps"}),
        ("model = lightgbm", {"alpha", "gamma"}),
        ("name = gamma", {"gamma"}),
        ("experiment = demand", {"alpha", "beta", "eps"}),
        ("experiment = 'other'", {"gamma", "delta"}),
        # inputs: a dataset by name matches every version; NAME@N one version
        ("data = 'sales'", {"alpha", "beta"}),
        ("data = sales", {"alpha", "beta"}),
        ("data = 'sales@2'", {"beta"}),
        ("data = 'sales@1'", {"alpha"}),
        ("data = 'sales@3'", set()),
        ("data != 'sales'", {"gamma", "delta", "eps"}),
        ("data = other", {"gamma"}),
        # and / or / not, parentheses, precedence (and binds tighter than or), keyword case
        ("experiment = demand and metrics.rmse < 3", {"alpha", "beta"}),
        ("status = failed or status = killed", {"beta", "gamma"}),
        ("status = queued or status = failed and params.lr > 0.1", {"delta"}),
        ("(status = queued or status = failed) and params.lr < 0.1", {"beta", "delta"}),
        ("not status = finished", {"beta", "gamma", "delta", "eps"}),
        ("not (name = alpha or experiment = other)", {"beta", "eps"}),
        ("not not name = alpha", {"alpha"}),
        ("params.lr > 0.01 AND (metrics.rmse < 3 OR Status = killed)", {"alpha", "gamma"}),
        ("((name = alpha))", {"alpha"}),
        ("  name=beta  ", {"beta"}),
    ],
)
def test_where_matches_the_right_runs(qws, where, expected):
    assert names(qws, where) == expected


def test_a_bool_param_matches_true_and_false(qws):
    # `--param flag=true` records a JSON boolean; filtering on it the way it was typed must work.
    assert names(qws, "params.flag = true") == {"alpha"}
    assert names(qws, "params.flag = false") == {"beta"}


@pytest.mark.parametrize(
    "where",
    [
        "model = lightgbm",
        "model = lightgbm or experiment = other",
        "params.lr > 0.05",
        "data = sales",
        "tags.team = x",
    ],
)
def test_not_is_the_complement(qws, where):
    # `not X` matches exactly the runs `X` does not, including runs without a model (script and
    # command runs), as `not params.X ...` already does for runs without the param.
    assert names(qws, f"not ({where})") == ALL - names(qws, where)


def test_list_runs_applies_where_experiment_and_limit(qws):
    found = runs.list_runs(qws, where="metrics.rmse < 10", experiment="demand", limit=None)
    assert {r.name for r in found} == {"alpha", "beta"}
    assert len(runs.list_runs(qws, where="metrics.rmse < 10", limit=1)) == 1


@pytest.mark.parametrize(
    "where, words",
    [
        ("foo = 1", "unknown field 'foo'"),
        ("params = 1", "params.KEY"),
        ("metrics.rmse <", "ends too early"),
        ("metrics.rmse", "ends too early"),
        ("status =", "ends too early"),
        ("(status = failed", "ends too early"),
        ("(status = failed or name = x", "ends too early"),
        ("status = failed)", "unexpected ')'"),
        ("(status = failed name = x)", "expected ')'"),
        ("status < failed", "needs a number"),
        ("params.opt >= 'adam'", "needs a number"),
        ("metrics.rmse = abc", "numbers only"),
        ("metrics.rmse != 'x'", "numbers only"),
        ("status = failed finished", "unexpected 'finished'"),
        ("status = failed and", "ends too early"),
        ("status failed", "expected a comparison"),
        ("= 3", "expected a field name"),
        ("'status' = x", "expected a field name"),
        ("status = (", "expected a value"),
        ("status = failed @ 3", "cannot read"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_bad_expressions_are_clear_errors(where, words):
    with pytest.raises(InvalidInput, match=r"^--where") as info:
        compile_where(where)
    assert words in str(info.value)


@pytest.mark.parametrize("depth", [100, 2000])
def test_deeply_nested_expressions_are_refused_or_answered_not_crashes(qws, depth):
    # A user (or a generated query) nesting too deep gets a --where error, never a crash of
    # Python's recursion or SQLite's parser.
    for where in (
        "(" * depth + "name = alpha" + ")" * depth,
        "not " * depth + "name = alpha",
        " or ".join(["name = alpha"] * (depth * 3)),
    ):
        try:
            found = runs.list_runs(qws, where=where, limit=None)
        except InvalidInput as exc:
            assert str(exc).startswith("--where")
        else:
            assert {r.name for r in found} <= {"alpha"}


# -- properties ------------------------------------------------------------------------------
FIELDS = st.sampled_from(
    [
        "params.lr",
        "params.opt",
        'params."learning rate"',
        "metrics.rmse",
        "metrics.r2",
        "tags.team",
        "tags.'my tag'",
        "status",
        "model",
        "name",
        "experiment",
        "data",
    ]
)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
)
WORDS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,8}", fullmatch=True).filter(
    lambda w: w.lower() not in ("and", "or", "not")
)
QUOTED = st.text(max_size=12).map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'")


@st.composite
def comparisons(draw) -> str:
    field = draw(FIELDS)
    numeric_only = field.startswith("metrics.")
    if numeric_only or draw(st.booleans()):
        op = draw(st.sampled_from(["=", "==", "!=", "<>", "<", "<=", ">", ">="]))
        value = draw(NUMBERS)
    else:
        op = draw(st.sampled_from(["=", "==", "!=", "<>"]))
        value = draw(st.one_of(WORDS, QUOTED))
    return f"{field} {op} {value}"


EXPRESSIONS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or", "AND", "Or"]), inner).map(" ".join),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=EXPRESSIONS)
def test_well_formed_expressions_compile_to_sql_that_runs(qws, where):
    sql, args = compile_where(where)
    assert sql.count("?") == len(args)
    matched = {r[0] for r in qws.conn.execute(SELECT + sql, args)}
    assert matched <= ALL


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_only_ever_raises_invalid_input(text):
    try:
        sql, args = compile_where(text)
    except InvalidInput as exc:
        assert str(exc).startswith("--where")
    else:
        assert sql.count("?") == len(args)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "params",
                "metrics",
                "tags",
                "status",
                "data",
                ".",
                "lr",
                "x",
                "=",
                "!=",
                "<",
                ">=",
                "and",
                "or",
                "not",
                "(",
                ")",
                "'q'",
                '"a b"',
                "1",
                "-2.5",
                "1e3",
                "@",
                ";",
            ]
        ),
        max_size=12,
    )
)
def test_token_soup_only_ever_raises_invalid_input(tokens):
    try:
        compile_where(" ".join(tokens))
    except InvalidInput as exc:
        assert str(exc).startswith("--where")


INJECTIONS = [
    "x'; DROP TABLE runs; --",
    "'; DELETE FROM runs; --",
    '" OR 1=1 --',
    "alpha' OR '1'='1",
    "1; DROP TABLE params",
    "?",
    "%",
    "' OR name LIKE '%",
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(
    "field",
    ["params.opt", "tags.team", "status", "model", "name", "experiment", "data", "params.'x\\' OR 1=1 --'"],
)
def test_values_with_sql_in_them_are_only_parameters(qws, field, value):
    quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    sql, args = compile_where(f"{field} = {quoted}")
    assert value in args or json.dumps(value) in args  # params compare JSON text
    assert (len(value) < 2 or value not in sql) and sql.count("?") == len(args)
    assert {r[0] for r in qws.conn.execute(SELECT + sql, args)} == set()
    assert qws.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == len(ALL)
    assert qws.conn.execute("SELECT COUNT(*) FROM params").fetchone()[0] > 0


@given(value=st.text(max_size=30))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_quoted_value_round_trips_as_a_parameter(qws, value):
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    sql, args = compile_where(f"name = {quoted}")
    assert args == [value]
    expected = {value} & ALL
    assert {r[0] for r in qws.conn.execute(SELECT + sql, args)} == expected


# -- sorting ----------------------------------------------------------------------------------
def _sorted_names(ws: Workspace, sort: str) -> list[str]:
    return [r.name for r in runs.list_runs(ws, sort=sort, limit=None)]


def test_sort_by_a_metric_puts_runs_without_it_last(qws):
    # rmse: alpha 1.0 (latest), beta 2.0, delta 3.0; gamma and eps have none.
    ascending = _sorted_names(qws, "metrics.rmse")
    assert ascending[:3] == ["alpha", "beta", "delta"]
    assert set(ascending[3:]) == {"gamma", "eps"}
    descending = _sorted_names(qws, "-metrics.rmse")
    assert descending[:3] == ["delta", "beta", "alpha"]
    assert set(descending[3:]) == {"gamma", "eps"}


def test_sort_by_a_param_and_by_columns(qws):
    assert _sorted_names(qws, "params.lr")[:4] == ["beta", "delta", "alpha", "gamma"]
    assert _sorted_names(qws, "-params.lr")[:4] == ["gamma", "alpha", "delta", "beta"]
    assert _sorted_names(qws, "name") == sorted(ALL)
    assert _sorted_names(qws, "-name") == sorted(ALL, reverse=True)
    assert _sorted_names(qws, "+name") == sorted(ALL)


def test_default_order_is_newest_first(qws):
    assert [r.name for r in runs.list_runs(qws, limit=None)] == ["eps", "delta", "gamma", "beta", "alpha"]


@pytest.mark.parametrize("key", ["nosuch", "metrics", "-params", "id; DROP TABLE runs", ""])
def test_unknown_sort_keys_are_refused(key):
    with pytest.raises(InvalidInput, match=r"^--sort"):
        compile_sort(key)


@pytest.mark.parametrize("sort", [None, "metrics.rmse", "-metrics.rmse", "params.lr", "name"])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_pages_put_together_are_the_whole_list(qws, sort, size):
    whole = [r.name for r in runs.list_runs(qws, sort=sort, limit=None)]
    paged = [
        r.name
        for offset in range(0, len(whole) + size, size)
        for r in runs.list_runs(qws, sort=sort, limit=size, offset=offset)
    ]
    assert paged == whole


def test_count_runs_counts_what_the_filter_lists(qws):
    assert runs.count_runs(qws) == len(ALL)
    where = "metrics.rmse < 2.5"
    assert runs.count_runs(qws, where=where) == len(runs.list_runs(qws, where=where, limit=None))


@pytest.mark.parametrize("sort", ["name", "-name", "status", "-duration_s", "started_at", "experiment"])
@pytest.mark.parametrize(
    "where",
    ["params.lr > 0.01", "data = sales or tags.team = x", "experiment = demand and metrics.rmse < 10"],
)
def test_a_sort_with_a_filter_lists_the_sorted_runs_that_match(qws, sort, where):
    matching = {r.id for r in runs.list_runs(qws, where=where, limit=None)}
    expected = [r.name for r in runs.list_runs(qws, sort=sort, limit=None) if r.id in matching]
    assert [r.name for r in runs.list_runs(qws, where=where, sort=sort, limit=None)] == expected


def test_a_filters_count_is_estimated_over_many_runs_exact_over_few(qws, monkeypatch):
    where = "metrics.rmse < 2.5"
    assert runs.estimate_runs(qws, where) == (2, True)
    monkeypatch.setattr(runs, "EXACT_UP_TO", 3)  # five runs count as many: a sample of them
    assert runs.estimate_runs(qws, where) == (2, False)  # the sample holds all five
    monkeypatch.setattr(runs, "SAMPLE", 1)
    estimate, exact = runs.estimate_runs(qws, where)
    assert estimate in (0, 5) and not exact  # one run tested, scaled to all five
