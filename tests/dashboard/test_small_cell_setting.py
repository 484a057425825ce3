"""ORGANISE_SMALL_CELL_K: default 5, at least 2, a clear error otherwise."""

from __future__ import annotations

import pytest

from organise.settings import Settings, SettingsError


def test_k_defaults_to_five_and_can_be_raised(tmp_path):
    base = {"ORGANISE_INSTANCE_DIR": str(tmp_path)}
    assert Settings.from_environ(base).small_cell_k == 5
    assert Settings.from_environ({**base, "ORGANISE_SMALL_CELL_K": "10"}).small_cell_k == 10


@pytest.mark.parametrize("raw", ["1", "0", "-3", "five"])
def test_k_below_two_or_not_a_number_is_refused(tmp_path, raw):
    with pytest.raises(SettingsError, match="ORGANISE_SMALL_CELL_K"):
        Settings.from_environ(
            {"ORGANISE_INSTANCE_DIR": str(tmp_path), "ORGANISE_SMALL_CELL_K": raw}
        )
