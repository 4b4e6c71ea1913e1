"""Data contracts: inferred from a version, edited by people, checked on validate and on add.

Every violation names its column, its check and, in its detail, the offending values or counts,
so that a person can act on it without opening the data.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import DROPS
from workbench.core.data import contracts, datasets, validation
from workbench.core.errors import InvalidInput
from workbench.core.storage.maintenance import fsck


def contract(columns: str, table: str = "") -> dict:
    return contracts.parse(("[table]\n" + table + "\n" if table else "") + columns, "test.toml")


def checks(violations) -> list[tuple[str | None, str]]:
    return [(v.column, v.check) for v in violations]


# -- inferring -------------------------------------------------------------------------------
@pytest.mark.parametrize("drop", ["reference", "week_01", "week_05", "week_06"])
def test_a_version_passes_the_contract_inferred_from_it(ws, drop):
    version = datasets.add(ws, DROPS / f"{drop}.csv", "sales").version
    text = validation.infer(ws, version)
    assert text.startswith("#")  # commented, for people to edit
    assert contracts.validate(datasets.load(ws, version), contracts.parse(text, "inferred")) == []


def test_the_small_fixture_passes_its_inferred_contract(ws, small_csv):
    version = datasets.add(ws, small_csv, "small").version
    inferred = contracts.parse(validation.infer(ws, version), "inferred")
    assert contracts.validate(datasets.load(ws, version), inferred) == []


@pytest.mark.parametrize("drop", ["week_01", "week_02"])
def test_unshifted_drops_pass_the_contract_inferred_from_the_reference(ws, drop):
    reference = datasets.add(ws, DROPS / "reference.csv", "sales").version
    contracts.set_contract(ws, "sales", validation.infer(ws, reference), "inferred")
    added = datasets.add(ws, DROPS / f"{drop}.csv", "sales")
    assert added.violations == []
    assert added.version.valid is True


def test_shifted_drops_break_the_contract_inferred_from_the_reference(ws):
    reference = datasets.add(ws, DROPS / "reference.csv", "sales").version
    inferred = contracts.parse(validation.infer(ws, reference), "inferred")
    found = contracts.validate(pl.read_csv(DROPS / "week_05.csv", try_parse_dates=True), inferred)
    by_check = {(v.column, v.check): v.detail for v in found}
    assert "electronics" in by_check[("category", "allowed")]
    assert "I041" in by_check[("item_id", "allowed")]
    assert ("price", "range") in by_check


def test_an_inferred_key_catches_duplicates(ws, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,shop,amount\n" + "".join(f"A{i:04d},S{i % 3},{i % 17 + 0.5}\n" for i in range(200))
    )
    version = datasets.add(ws, path, "orders").version
    inferred = contracts.parse(validation.infer(ws, version), "inferred")
    assert inferred["table"]["key"] == ["order_id"]
    df = datasets.load(ws, version)
    (violation,) = contracts.validate(pl.concat([df, df.head(3)]), inferred)
    assert (violation.column, violation.check) == ("order_id", "unique_key")
    assert "3" in violation.detail


def test_text_outside_ascii_survives_inference(ws, tmp_path):
    """Values and names in any script, emoji included, must come back out of the TOML file
    as they went in."""
    path = tmp_path / "fruit.csv"
    path.write_text(
        'id,fruit,größe\n1,🍎 apple,1.5\n2,pear,2\n3,"a ""quoted"" one",3\n4,back\\slash,4\n5,café,4.5\n',
        encoding="utf-8",
    )
    version = datasets.add(ws, path, "fruit").version
    inferred = contracts.parse(validation.infer(ws, version), "inferred")
    assert set(inferred["columns"]["fruit"]["allowed"]) == {
        "🍎 apple",
        "pear",
        'a "quoted" one',
        "back\\slash",
        "café",
    }
    assert "größe" in inferred["columns"]
    assert contracts.validate(datasets.load(ws, version), inferred) == []


def test_an_inferred_contract_reads_as_a_person_would_write_it(ws, tmp_path):
    """A 0/1 flag is `allowed = [0, 1]` (a range of 0 to 2 would let 2 through), whole-number
    bounds are written as whole numbers, float bounds carry no float noise, a null limit is a
    whole percent, and each bound's comment names the rule that made it."""
    path = tmp_path / "shop.csv"
    path.write_text(
        "promo,units,price,temp\n"
        + "".join(
            f"{i % 2},{i % 13},{3.17 + (i % 97) * 0.731},{'' if i % 30 == 0 else 10 + i % 7}\n"
            for i in range(1000)
        )
    )
    version = datasets.add(ws, path, "shop").version
    text = validation.infer(ws, version)
    inferred = contracts.parse(text, "inferred")["columns"]
    assert inferred["promo"]["allowed"] == [0, 1] and "min" not in inferred["promo"]
    assert "# a flag: only 0 and 1 seen\nallowed = [0, 1]" in text
    assert inferred["units"]["min"] == 0 and "\nmin = 0\n" in text
    assert isinstance(inferred["units"]["max"], int)
    assert "# min: 0, as the column was never negative\nmin = 0" in text
    price = inferred["price"]
    for bound in (price["min"], price["max"]):
        assert len(repr(bound)) <= 5  # 1.2 or 105.4, not 1.27965 or 0.30000000000000004
    assert "# min: the 1st percentile (" in text and "rounded down" in text
    assert inferred["temp"]["max_null_fraction"] == 0.09  # 3.4% missing + 5%, rounded up
    assert "# 3.4% missing here" in text
    df = datasets.load(ws, version)
    assert contracts.validate(df, contracts.parse(text, "inferred")) == []
    (v,) = contracts.validate(df.with_columns(pl.col("promo") * 2), contracts.parse(text, "x"))
    assert (v.column, v.check) == ("promo", "allowed") and "2 (500)" in v.detail


def test_allowed_numbers_match_whole_floats_and_refuse_mixed_lists():
    c = contract('[columns.flag]\ndtype = "Float64"\nallowed = [0, 1]\n')
    assert contracts.validate(pl.DataFrame({"flag": [0.0, 1.0, None]}), c) == []
    with pytest.raises(InvalidInput, match="a list of strings or a list of numbers"):
        contract('[columns.flag]\nallowed = [0, "1"]\n')


# -- each check ------------------------------------------------------------------------------
def test_a_missing_required_column():
    c = contract(
        '[columns.a]\ndtype = "Int64"\n[columns.b]\ndtype = "Int64"\n'
        '[columns.opt]\ndtype = "Int64"\nrequired = false\n'
    )
    (v,) = contracts.validate(pl.DataFrame({"a": [1, 2]}), c)
    assert (v.column, v.check) == ("b", "required")
    assert "missing" in v.detail


def test_an_extra_column_unless_allowed():
    df = pl.DataFrame({"a": [1, 2], "surprise": ["x", "y"]})
    (v,) = contracts.validate(df, contract('[columns.a]\ndtype = "Int64"\n'))
    assert (v.column, v.check) == ("surprise", "extra_column")
    assert (
        contracts.validate(df, contract('[columns.a]\ndtype = "Int64"\n', "allow_extra_columns = true")) == []
    )


def test_whole_numbers_where_floats_are_expected_are_fine_but_not_the_reverse():
    ints, floats = pl.DataFrame({"a": [1, 2, 3]}), pl.DataFrame({"a": [1.5, 2.0, 3.0]})
    assert contracts.validate(ints, contract('[columns.a]\ndtype = "Float64"\n')) == []
    (v,) = contracts.validate(floats, contract('[columns.a]\ndtype = "Int64"\n'))
    assert (v.column, v.check) == ("a", "dtype")
    assert "Int64" in v.detail and "Float64" in v.detail


def test_a_text_column_where_numbers_are_expected():
    (v,) = contracts.validate(
        pl.DataFrame({"a": ["1", "x"]}), contract('[columns.a]\ndtype = "Int64"\nmin = 0\nmax = 10\n')
    )
    assert (v.column, v.check) == ("a", "dtype") and "String" in v.detail


def test_a_null_rate_over_the_limit():
    df = pl.DataFrame({"a": [1, None, None, 4, 5, 6, 7, 8, 9, None]})
    c = contract('[columns.a]\ndtype = "Int64"\nmax_null_fraction = 0.1\n')
    (v,) = contracts.validate(df, c)
    assert (v.column, v.check) == ("a", "max_null_fraction")
    assert "30.0%" in v.detail and "3 rows" in v.detail
    assert (
        contracts.validate(df.head(4), contract('[columns.a]\ndtype = "Int64"\nmax_null_fraction = 0.5\n'))
        == []
    )


def test_values_outside_the_range_are_named():
    df = pl.DataFrame({"price": [float(x % 10) for x in range(2_000)] + [-3.0] * 15 + [250.0] * 5})
    (v,) = contracts.validate(df, contract('[columns.price]\ndtype = "Float64"\nmin = 0\nmax = 100\n'))
    assert (v.column, v.check) == ("price", "range")
    assert "20 values" in v.detail and "-3" in v.detail and "250" in v.detail


def test_a_stray_value_out_of_range_is_tolerated():
    """A range inferred from percentiles would fail every large drop on one odd value."""
    df = pl.DataFrame({"price": [float(x % 10) for x in range(5_000)] + [250.0]})
    c = contract('[columns.price]\ndtype = "Float64"\nmin = 0\nmax = 100\n')
    assert contracts.validate(df, c) == []
    assert checks(contracts.validate(df.head(10).vstack(df.tail(1)), c)) == [("price", "range")]


def test_values_not_allowed_are_named_with_their_counts():
    df = pl.DataFrame({"region": ["north"] * 5 + ["mars"] * 3 + ["venus"] + [None]})
    c = contract('[columns.region]\ndtype = "String"\nallowed = ["north", "south"]\n')
    (v,) = contracts.validate(df, c)
    assert (v.column, v.check) == ("region", "allowed")
    assert "mars (3)" in v.detail and "venus (1)" in v.detail and "4 values" in v.detail


def test_allowed_whole_numbers():
    c = contract('[columns.promo]\ndtype = "Int64"\nallowed = ["0", "1"]\n')
    assert contracts.validate(pl.DataFrame({"promo": [0, 1, 1]}), c) == []
    (v,) = contracts.validate(pl.DataFrame({"promo": [0, 1, 2]}), c)
    assert (v.column, v.check) == ("promo", "allowed") and "2 (1)" in v.detail


def test_duplicate_keys_are_counted():
    df = pl.DataFrame({"shop": ["a", "a", "b", "b", "a"], "day": [1, 2, 1, 1, 1]})
    c = contract(
        '[columns.shop]\ndtype = "String"\n[columns.day]\ndtype = "Int64"\n', 'key = ["shop", "day"]'
    )
    (v,) = contracts.validate(df, c)
    assert v.check == "unique_key" and "shop" in v.column and "day" in v.column
    assert "2 rows" in v.detail
    assert contracts.validate(df.unique(), c) == []


def test_row_count_bounds():
    c = contract('[columns.a]\ndtype = "Int64"\n', "min_rows = 3\nmax_rows = 5")
    (few,) = contracts.validate(pl.DataFrame({"a": [1, 2]}), c)
    assert (few.column, few.check) == (None, "min_rows") and "2 rows" in few.detail
    (many,) = contracts.validate(pl.DataFrame({"a": list(range(7))}), c)
    assert (many.column, many.check) == (None, "max_rows") and "7 rows" in many.detail
    assert contracts.validate(pl.DataFrame({"a": [1, 2, 3]}), c) == []


def test_violations_serialise_with_the_spec_fields():
    (v,) = contracts.validate(
        pl.DataFrame({"a": [1]}), contract('[columns.b]\ndtype = "Int64"\n', "allow_extra_columns = true")
    )
    assert v.to_dict() == {"column": "b", "check": "required", "detail": v.detail}


# -- parsing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, words",
    [
        ("[columns.a\ndtype = 1\n", "not valid TOML"),
        ("[table]\nmin_rows = 1\n", "no [columns"),
        ("columns = 3\n", "no [columns"),
        ('[columns.a]\ndtype = "Int64"\nmaximum = 3\n', "maximum"),
        ('[table]\nmin_row = 3\n[columns.a]\ndtype = "Int64"\n', "min_row"),
        ('[table]\nkey = ["id"]\n[columns.a]\ndtype = "Int64"\n', "'id'"),
        ("[columns]\na = 3\n", "must be a table"),
    ],
)
def test_malformed_contracts_are_refused(text, words):
    with pytest.raises(InvalidInput) as info:
        contracts.parse(text, "bad.toml")
    assert words in str(info.value) and "bad.toml" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        '[columns.a]\ndtype = "Int64"\nmax_null_fraction = "5%"\n',
        '[columns.a]\ndtype = "Int64"\nmin = "zero"\n',
        '[columns.a]\ndtype = "Int64"\nallowed = "abc"\n',
        "[columns.a]\ndtype = 5\n",
        '[table]\nmin_rows = "10"\n[columns.a]\ndtype = "Int64"\n',
        'table = 5\n[columns.a]\ndtype = "Int64"\n',
    ],
    ids=["null-fraction-text", "min-text", "allowed-text", "dtype-number", "min-rows-text", "table-number"],
)
def test_settings_of_the_wrong_type_are_refused(text):
    """Refused when the contract is set, not a crash at the next `wb data add`."""
    with pytest.raises(InvalidInput):
        contracts.parse(text, "bad.toml")


def test_a_bad_contract_is_not_stored(ws):
    with pytest.raises(InvalidInput):
        contracts.set_contract(ws, "sales", "[table]\nmin_rows = 1\n", "bad.toml")
    assert contracts.get_text(ws, "sales") is None


# -- on add ----------------------------------------------------------------------------------
STRICT_CONTRACT = """
[table]
min_rows = 1
allow_extra_columns = true
[columns.category]
dtype = "String"
allowed = ["beverages", "grocery", "household", "personal_care"]
"""


def test_add_records_whether_a_version_passes(ws):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    contracts.set_contract(ws, "sales", STRICT_CONTRACT, "c.toml")
    good = datasets.add(ws, DROPS / "week_01.csv", "sales")
    bad = datasets.add(ws, DROPS / "week_05.csv", "sales")
    assert (good.version.valid, good.violations) == (True, [])
    assert bad.version.valid is False
    assert checks(bad.violations) == [("category", "allowed")]
    assert [v.summary()["valid"] for v in datasets.log(ws, "sales")] == [None, True, False]
    assert bad.to_dict()["valid"] is False


def test_strict_add_refuses_a_failing_version_and_stores_nothing(ws):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    contracts.set_contract(ws, "sales", STRICT_CONTRACT, "c.toml")
    objects = set(ws.store.oids())
    with pytest.raises(contracts.ContractBroken) as info:
        datasets.add(ws, DROPS / "week_06.csv", "sales", strict=True)
    assert info.value.exit_code == 1
    assert checks(info.value.violations) == [("category", "allowed")]
    assert "nothing was stored" in str(info.value)
    assert [v.version for v in datasets.log(ws, "sales")] == [1]
    assert set(ws.store.oids()) == objects
    assert ws.store.temp_files() == []
    assert fsck(ws).ok
    # A passing version goes in under strict as usual.
    assert datasets.add(ws, DROPS / "week_02.csv", "sales", strict=True).version.version == 2


def test_strict_add_of_a_first_version_that_fails(ws):
    contracts.set_contract(ws, "fresh", STRICT_CONTRACT, "c.toml")
    (contract_record,) = ws.store.oids()  # the contract, kept as a record object
    with pytest.raises(contracts.ContractBroken):
        datasets.add(ws, DROPS / "week_05.csv", "fresh", strict=True)
    assert list(ws.store.oids()) == [contract_record] and ws.store.temp_files() == []
    assert datasets.list_datasets(ws) == []


# -- check: a version or a file --------------------------------------------------------------
def test_check_of_a_version_records_its_verdict(ws):
    datasets.add(ws, DROPS / "week_05.csv", "sales")
    assert datasets.resolve(ws, "sales@1").valid is None
    contracts.set_contract(ws, "sales", STRICT_CONTRACT, "c.toml")
    checked, violations = validation.check(ws, "sales@1")
    assert checked == "sales@1" and checks(violations) == [("category", "allowed")]
    assert datasets.resolve(ws, "sales@1").valid is False


def test_check_of_a_file_needs_a_contract_name(ws):
    contracts.set_contract(ws, "sales", STRICT_CONTRACT, "c.toml")
    with pytest.raises(InvalidInput, match="--contract"):
        validation.check(ws, str(DROPS / "week_01.csv"))
    assert validation.check(ws, str(DROPS / "week_01.csv"), "sales")[1] == []
    assert checks(validation.check(ws, str(DROPS / "week_05.csv"), "sales")[1]) == [("category", "allowed")]
