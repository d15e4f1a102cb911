"""Library errors name settings as the library does; the CLI shows them as its options."""

from __future__ import annotations

import pickle

import pytest

from fauxlab.cli.main import option_for
from fauxlab.datasplit import split_files
from fauxlab.errors import InputError, SettingError
from fauxlab.synthesis.faceswap.config import TrainConfig


def test_a_setting_is_named_by_the_library_and_shown_as_an_option() -> None:
    with pytest.raises(SettingError) as caught:
        TrainConfig(gan_weight=-1.0).check()
    error = caught.value
    assert str(error) == "`gan_weight` must be 0 or more, got -1.0"
    assert "--" not in str(error) and error.settings == ("gan_weight",)
    assert error.shown(option_for) == "--gan-weight must be 0 or more, got -1.0"
    assert isinstance(error, InputError) and isinstance(error, ValueError)


def test_options_the_cli_names_otherwise_and_words_left_alone() -> None:
    assert option_for("per_class") == "--n" and option_for("image_limit") == "--limit"
    error = InputError("`fauxlab demo` made it; give another `out`", settings=["out"])
    assert error.shown(option_for) == "`fauxlab demo` made it; give another --out"


def test_settings_survive_a_trip_to_a_worker_process() -> None:
    with pytest.raises(SettingError) as caught:
        split_files([], -1)
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.settings == ("holdout",) and str(again) == str(caught.value)
