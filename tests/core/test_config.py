"""`.wb/config.toml` is checked when it is loaded: a value of the wrong type or out of range is
one sentence naming the file, the key and what it may be; an unknown key or section is a
warning naming the nearest known one, and the rest of the file still counts."""

from __future__ import annotations

import warnings

import pytest

from workbench.core import config
from workbench.core.errors import InvalidInput


def test_every_numeric_setting_has_a_rule_and_the_defaults_keep_to_them():
    numeric = {
        (section, key)
        for section, values in config.DEFAULTS.items()
        for key, value in values.items()
        if isinstance(value, (int, float))
    }
    ruled = {(section, key) for section, rules in config.RULES.items() for key in rules}
    assert numeric <= ruled
    for section, key in ruled:
        assert config.RULES[section][key].allows(config.DEFAULTS[section][key]), (section, key)


def test_the_commented_file_wb_init_writes_loads_without_a_word(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(config.DEFAULT_CONFIG_TEXT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert config.load(path) == config.DEFAULT


@pytest.mark.parametrize(
    "text, words",
    [
        (
            '[drift]\nnumeric_threshold = "abc"',
            'drift.numeric_threshold must be a number of at least 0, not "abc"',
        ),
        (
            "[drift]\nnumeric_threshold = -0.5",
            "drift.numeric_threshold must be a number of at least 0, not -0.5",
        ),
        (
            "[drift]\nnumeric_threshold = nan",
            "drift.numeric_threshold must be a number of at least 0, not nan",
        ),
        (
            "[drift]\ncategorical_threshold = inf",
            "drift.categorical_threshold must be a number from 0 to 1, not inf",
        ),
        (
            "[drift]\nfalse_discovery_rate = 0",
            "drift.false_discovery_rate must be a number above 0 and at most 1, not 0",
        ),
        (
            "[drift]\nclassifier_auc_threshold = 0.3",
            "drift.classifier_auc_threshold must be a number from 0.5 to 1, not 0.3",
        ),
        (
            "[drift]\nclassifier_max_rows = 0",
            "drift.classifier_max_rows must be a whole number of at least 1, not 0",
        ),
        (
            "[drift]\ncategorical_max_distinct = 2.5",
            "drift.categorical_max_distinct must be a whole number of at least 0, not 2.5",
        ),
        (
            "[data]\nhistogram_bins = true",
            "data.histogram_bins must be a whole number of at least 1, not true",
        ),
        ("[data]\ntop_values = [1, 2]", "data.top_values must be a whole number of at least 0, not [1, 2]"),
        (
            "[store]\ngc_grace_hours = 1979-05-27",
            'store.gc_grace_hours must be a number of at least 0, not "1979-05-27"',
        ),
        ("drift = 0.1", "drift must be a table ([drift] with its settings under it), not 0.1"),
        ("[tui]\nkeymap = 3", "tui.keymap must be a table ([tui.keymap] with its settings under it), not 3"),
        ("[tui.keymap]\nquit = 3", "tui.keymap.quit must be a string, not 3"),
    ],
)
def test_a_value_of_the_wrong_type_or_range_names_file_key_and_range(tmp_path, text, words):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(InvalidInput) as raised:
        config.load(path)
    assert str(raised.value) == f"{path}: {words}"


@pytest.mark.parametrize(
    "text, words",
    [
        (
            "[drift]\nnumric_threshold = 0.3",
            "unknown setting drift.numric_threshold, ignored; did you mean drift.numeric_threshold?",
        ),
        ("[drfit]\nnumeric_threshold = 0.3", "unknown setting drfit, ignored; did you mean drift?"),
        ("[tui.kemap]\nquit = 'x'", "unknown setting tui.kemap, ignored; did you mean tui.keymap?"),
        ("[zzz]\nq = 1", "unknown setting zzz, ignored"),
    ],
)
def test_an_unknown_key_or_section_warns_with_the_nearest_and_the_rest_counts(tmp_path, text, words):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n[registry]\npromotion_margin = 0.05\n")
    with pytest.warns(config.ConfigWarning) as caught:
        loaded = config.load(path)
    assert [str(w.message) for w in caught] == [f"{path}: {words}"]
    assert loaded.registry.promotion_margin == 0.05
    assert loaded.drift.numeric_threshold == config.DEFAULT.drift.numeric_threshold


def test_the_loaded_settings_are_typed_records_with_every_default(tmp_path):
    """Every setting of the commented file is a field of its section's record (and no record
    field lacks a default), with floats as floats and a retraining window as a count."""
    import dataclasses

    for section, values in config.DEFAULTS.items():
        record = getattr(config.DEFAULT, section)
        assert {f.name for f in dataclasses.fields(record)} == set(values), section
    path = tmp_path / "config.toml"
    path.write_text('[store]\ngc_grace_hours = 1\n[retrain]\nwindow = "all"\n')
    loaded = config.load(path)
    assert loaded.store.gc_grace_hours == 1.0 and isinstance(loaded.store.gc_grace_hours, float)
    assert loaded.retrain.window == 0 and config.DEFAULT.retrain.window == 1
