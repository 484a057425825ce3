"""Words organisers write for workers (a campaign's title and demand, a survey's questions), in
the site's other languages.

The text given first is in the default language; `translations` add the same words in other
languages: `{"fr": {"title": "...", "demand": "..."}}`. They are words only: what is counted
(options, thresholds) is the same whatever language a worker reads. One checker for every
feature that takes them (`check_translations`), and one rule for what a visitor reads
(`shown`): their own language where it is given, else the default language, with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale

from organise.fields import FORBIDDEN_CHARACTERS
from organise.i18n import DEFAULT_LOCALE, _, current_locale, languages

# Records a problem: (place, message), e.g. ("translations.fr.title", "... is required.").
AddProblem = Callable[[str, str], object]


def other_languages() -> list[str]:
    """The languages a translation may be given in: the site's, but the default."""
    return [code for code in languages() if code != DEFAULT_LOCALE]


def language_name(code: str, *, in_language: str | None = None) -> str:
    """`code`'s name as a reader of `in_language` (default: the current one) would write it."""
    reader = in_language or current_locale.get()
    try:
        name = Locale.parse(code).get_display_name(Locale.parse(reader))
    except (ValueError, LookupError):
        return code
    return name or code


def checked_text(
    add: AddProblem, place: str, value: object, *, limit: int, required: bool = True
) -> str:
    """`value` as text of at most `limit` characters, stripped; else a problem at `place`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        add(place, _("%(place)s must be text.") % {"place": place})
        return ""
    if FORBIDDEN_CHARACTERS.search(value):
        add(place, _("%(place)s contains characters that are not valid text.") % {"place": place})
        return ""
    value = value.strip()
    if required and not value:
        add(place, _("%(place)s is required.") % {"place": place})
    elif len(value) > limit:
        add(
            place,
            _("%(place)s can be at most %(n)d characters; this has %(m)d.")
            % {"place": place, "n": limit, "m": len(value)},
        )
    return value


def _plain(key: object) -> str:
    """A key echoed in a message only when it is short and plain text."""
    if isinstance(key, str) and len(key) <= 40 and not FORBIDDEN_CHARACTERS.search(key):
        return key
    return "?"


@dataclass(frozen=True)
class Translation:
    language: str
    texts: dict[str, str]  # the checked texts given (name -> text), empty ones left out
    raw: Mapping[str, Any]  # the whole object, for the caller to check its own nested parts


def check_translations(
    add: AddProblem,
    value: object,
    texts: Mapping[str, int],
    *,
    nested: Collection[str] = (),
    whole: bool = False,
    place: str = "translations",
) -> list[Translation]:
    """The translations in `value`, checked: one object per known other language, holding
    texts named in `texts` (name -> most characters) and the caller's `nested` parts.

    With `whole`, each language given must have every text (a half-translated demand would
    mix languages in one sentence a worker signs under).
    """
    if value is None:
        return []
    others = other_languages()
    if not isinstance(value, dict):
        add(place, _("translations must map language codes to translations."))
        return []
    found: list[Translation] = []
    known = sorted({*texts, *nested})
    for language, raw in value.items():
        here = f"{place}.{language if language in others else '?'}"
        if not isinstance(language, str) or language not in others:
            add(
                here,
                _(
                    "%(place)s: translations are for the site's other languages only: "
                    "%(languages)s. The text of the file itself is in the default language."
                )
                % {"place": here, "languages": ", ".join(others) or _("none yet")},
            )
            continue
        if not isinstance(raw, dict):
            add(here, _("%(place)s must be an object.") % {"place": here})
            continue
        for key in sorted(set(raw) - set(known), key=str):
            add(
                f"{here}.?",
                _("%(place)s: %(key)s is not one of the fields of a translation: %(fields)s.")
                % {"place": f"{here}.?", "key": _plain(key), "fields": ", ".join(known)},
            )
        given: dict[str, str] = {}
        for name, limit in texts.items():
            if name in raw or whole:
                text = checked_text(
                    add, f"{here}.{name}", raw.get(name), limit=limit, required=whole
                )
                if text:
                    given[name] = text
        found.append(Translation(language, given, raw))
    return found


@dataclass(frozen=True)
class Shown:
    """What a visitor reads of an organiser's words."""

    texts: dict[str, str]
    language: str  # the language `texts` are in (wholly, or for the parts not translated)
    # The visitor's language was asked for and is not (wholly) given: say so, in their language.
    fallback: bool


def shown(
    defaults: Mapping[str, str],
    translations: Mapping[str, Any] | None,
    locale: str | None = None,
) -> Shown:
    """The words in `locale` (default: the request's), each falling back to the default one."""
    locale = locale or current_locale.get()
    if locale == DEFAULT_LOCALE:
        return Shown(dict(defaults), DEFAULT_LOCALE, fallback=False)
    given: Mapping[str, Any] = (translations or {}).get(locale) or {}
    texts = {name: given.get(name) or text for name, text in defaults.items()}
    whole = all(given.get(name) for name, text in defaults.items() if text)
    return Shown(texts, locale if whole else DEFAULT_LOCALE, fallback=not whole)


def words_of(thing: Any, *names: str) -> Shown:
    """`shown` for a row holding its default words as attributes and a `translations` field
    (a campaign, a survey): what templates call as `words_of(campaign, "title")`."""
    defaults = {name: str(getattr(thing, name) or "") for name in names}
    return shown(defaults, getattr(thing, "translations", None))


def form_values(translations: Mapping[str, Any] | None) -> dict[str, str]:
    """Translations as the organisers' forms name their fields: `translations.fr.title`."""
    return {
        f"translations.{code}.{name}": str(text)
        for code, texts in (translations or {}).items()
        if isinstance(texts, dict)
        for name, text in texts.items()
        if isinstance(text, str)
    }
