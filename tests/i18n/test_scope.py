"""`in_language` answers a block in one language and leaves the rest as it was."""

from __future__ import annotations

import pytest

from organise.i18n import current_locale, languages
from organise.i18n.scope import in_language


def test_sets_the_language_for_the_block_and_restores_it():
    outer = current_locale.get()
    code = languages()[-1]
    with in_language(code) as chosen:
        assert chosen == code
        assert current_locale.get() == code
    assert current_locale.get() == outer


def test_restores_the_language_when_the_block_fails():
    outer = current_locale.get()
    with pytest.raises(RuntimeError), in_language(languages()[0]):
        raise RuntimeError("printing failed")
    assert current_locale.get() == outer


def test_nested_blocks_restore_in_order():
    first, last = languages()[0], languages()[-1]
    with in_language(first):
        with in_language(last):
            assert current_locale.get() == last
        assert current_locale.get() == first


def test_an_unknown_language_is_refused_not_read_as_english():
    with pytest.raises(ValueError, match="unknown language"), in_language("xx"):
        pass  # pragma: no cover - never reached
    assert current_locale.get() == "en"
