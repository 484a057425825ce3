"""A survey's definition: the JSON file format, checked whole, every problem listed at once.

```json
{"slug": "cloud-2027", "title": "...", "intro": "...", "closes_at": "2027-01-31T17:00:00Z",
 "k": 5, "invite_mode": "invite", "onward_invites": 0, "invite_depth": 1,
 "team": ["sam"], "keep_texts_days": 30,
 "questions": [
   {"id": "unit", "type": "choice", "text": "Where do you work?",
    "options": [{"id": "infra", "label": "Infrastructure"}, "Ads"], "crosstab": true,
    "required": true},
   {"id": "issues", "type": "multi", "text": "...", "options": ["..."]},
   {"id": "ready", "type": "scale", "text": "...", "min": 1, "max": 5},
   {"id": "act_if", "type": "threshold", "text": "...", "options": [5, 10, 25, 50]},
   {"id": "why", "type": "text", "text": "...", "max_length": 2000}],
 "translations": {"fr": {"title": "...", "intro": "...",
                         "questions": {"unit": {"text": "...", "options": {"infra": "..."}}}}}}
```

Options are identifiers with labels: `{"id": "infra", "label": "Infrastructure"}`, or a plain
string, which is both (its identifier as given). The label is the default language's;
`translations` attach labels in other languages (`organise.i18n.languages`) to the same
identifiers, so answers, the sealed responses and the counts are by identifier whatever the
language. `team` (co-organisers), `keep_texts_days` and `translations` are optional. The parts
that shape the counting (`COUNTING_FIELDS`: questions, k, the invite settings) never change once
the first answer is in; the translations may.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from organise.campaigns import policy
from organise.campaigns.models import InviteMode
from organise.fields import FORBIDDEN_CHARACTERS
from organise.i18n import DEFAULT_LOCALE, _, written
from organise.refusal import Refused
from organise.surveys.tables import CountedQuestion, QuestionType

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
QUESTION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Addresses under /surveys/ that are not surveys.
RESERVED_SLUGS = frozenset({"responses", "new"})
# Names the answer forms use for themselves: no question may take them.
RESERVED_IDS = frozenset({"invite_code", "receipt", "check", "confirm"})
TYPES: tuple[QuestionType, ...] = ("choice", "multi", "scale", "threshold", "text")
COUNTING_FIELDS = ("questions", "k", "invite_mode", "onward_invites", "invite_depth")

MIN_K = 3
DEFAULT_K = 5
MAX_K = 100
MAX_TITLE = 200
MAX_INTRO = 5000
MAX_QUESTIONS = 40
MAX_QUESTION_TEXT = 1000
MAX_OPTIONS = 30
MAX_OPTION_CHARS = 100
MAX_SCALE_STEPS = 11
SCALE_RANGE = (-100, 100)
MAX_THRESHOLD_N = policy.MAX_THRESHOLD
MAX_TEXT_LENGTH = 5000
MAX_TEXTS_TOTAL = 10000
MAX_CROSSTABS = 3
MAX_TEAM = 20
DEFAULT_KEEP_TEXTS_DAYS = 30
KEEP_TEXTS_RANGE = (1, 365)
MAX_CLOSE_AHEAD = timedelta(days=366)
MAX_FILE_BYTES = 256 * 1024

# The definition's fields of one value each (the form has one input for each).
_SCALARS = (
    "slug",
    "title",
    "intro",
    "closes_at",
    "k",
    "invite_mode",
    "onward_invites",
    "invite_depth",
    "keep_texts_days",
)
_KEYS = frozenset({*_SCALARS, "questions", "team", "translations"})
_OPTION_KEYS = frozenset({"id", "label"})
_TRANSLATED_QUESTION_KEYS = frozenset({"text", "options"})
_QUESTION_KEYS = frozenset(
    {"id", "type", "text", "options", "crosstab", "required", "min", "max", "max_length"}
)


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    options: tuple[str, ...] = ()  # choice, multi: option ids; threshold: str(N), ascending
    labels: tuple[str, ...] = ()  # choice, multi: each option's default label (else none)
    crosstab: bool = False
    required: bool = False
    minimum: int = 0  # scale
    maximum: int = 0  # scale
    max_length: int = 0  # text

    @property
    def counted_options(self) -> tuple[str, ...]:
        if self.type == "scale":
            return tuple(str(value) for value in range(self.minimum, self.maximum + 1))
        if self.type == "text":
            return ()
        return self.options

    def label(self, option: str) -> str:
        """An option's label in the default language (its id when it has none of its own)."""
        if option in self.options and len(self.labels) == len(self.options):
            return self.labels[self.options.index(option)]
        return option

    def counted(self) -> CountedQuestion:
        return CountedQuestion(
            self.id, self.type, self.counted_options, self.crosstab, required=self.required
        )

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "text": self.text}
        if self.type in ("choice", "multi"):
            # A plain string where the label is the id (as in files and surveys made before
            # options had labels of their own).
            data["options"] = [
                option if label == option else {"id": option, "label": label}
                for option, label in zip(self.options, self.labels or self.options, strict=True)
            ]
        if self.type == "threshold":
            data["options"] = [int(option) for option in self.options]
        if self.type == "choice":
            data["crosstab"] = self.crosstab
        if self.type == "scale":
            data["min"] = self.minimum
            data["max"] = self.maximum
        if self.type == "text":
            data["max_length"] = self.max_length
        data["required"] = self.required
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        kind = cast(QuestionType, data["type"])
        raw = list(data.get("options", ()))
        options = tuple(str(o["id"]) if isinstance(o, dict) else str(o) for o in raw)
        labels = tuple(str(o["label"]) if isinstance(o, dict) else str(o) for o in raw)
        return cls(
            id=str(data["id"]),
            type=kind,
            text=str(data["text"]),
            options=options,
            labels=labels if kind in ("choice", "multi") else (),
            crosstab=bool(data.get("crosstab", False)),
            required=bool(data.get("required", False)),
            minimum=int(data.get("min", 0)),
            maximum=int(data.get("max", 0)),
            max_length=int(data.get("max_length", 0)),
        )


@dataclass(frozen=True)
class Definition:
    slug: str
    title: str
    intro: str
    closes_at: datetime
    k: int
    invite_mode: InviteMode
    onward_invites: int
    invite_depth: int
    questions: tuple[Question, ...]
    team: tuple[str, ...] = ()
    keep_texts_days: int = DEFAULT_KEEP_TEXTS_DAYS
    # language -> {"title", "intro", "questions": {id: {"text", "options": {option id: label}}}}
    translations: dict[str, Any] = field(default_factory=dict)

    def questions_json(self) -> list[dict[str, Any]]:
        return [question.as_json() for question in self.questions]


@dataclass(frozen=True)
class Wording:
    """A survey's words in one language: the default ones wherever no translation is given."""

    title: str
    intro: str
    texts: dict[str, str]  # question id -> its text
    labels: dict[str, dict[str, str]]  # question id -> option id -> its label
    # Some of the words are in the default language, not the one asked for (say so).
    fallback: bool = False


def wording(
    title: str,
    intro: str,
    questions: Sequence[Question],
    translations: Mapping[str, Any] | None,
    locale: str,
) -> Wording:
    """The words of a survey in `locale` (a request's language), falling back to the default."""
    given: Mapping[str, Any] = (translations or {}).get(locale) or {}
    asked: Mapping[str, Any] = given.get("questions") or {}
    top = written.shown({"title": title, "intro": intro}, translations, locale)
    fallback = top.fallback
    looked = locale != DEFAULT_LOCALE  # the default language has nothing to fall back from
    texts: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    for question in questions:
        own: Mapping[str, Any] = asked.get(question.id) or {}
        texts[question.id] = own.get("text") or question.text
        named: Mapping[str, str] = own.get("options") or {}
        labels[question.id] = {
            option: named.get(option) or question.label(option) for option in question.options
        }
        if looked and not fallback:
            # Threshold and scale options are numbers: no words to translate.
            worded = question.options if question.type in ("choice", "multi") else ()
            fallback = not own.get("text") or any(not named.get(option) for option in worded)
    return Wording(top.texts["title"], top.texts["intro"], texts, labels, fallback=fallback)


def questions_of(stored: Sequence[Mapping[str, Any]]) -> tuple[Question, ...]:
    return tuple(Question.from_json(item) for item in stored)


class _Problems:
    """Every problem found, by place ("title", "questions[2].options"...)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, place: str, message: str) -> None:
        self.found.setdefault(place, message)

    def refuse_if_any(self) -> None:
        if self.found:
            raise Refused(dict(self.found), code="invalid_survey")


def _text(
    problems: _Problems, place: str, value: object, *, limit: int, required: bool = True
) -> str:
    return written.checked_text(problems.add, place, value, limit=limit, required=required)


def _whole(
    problems: _Problems, place: str, value: object, *, lo: int, hi: int, default: int | None = None
) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        problems.add(
            place,
            _("%(place)s must be a whole number from %(lo)d to %(hi)d.")
            % {"place": place, "lo": lo, "hi": hi},
        )
        return default if default is not None else lo
    return value


def _flag(problems: _Problems, place: str, value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.add(place, _("%(place)s must be true or false.") % {"place": place})
        return False
    return value


def _closes_at(problems: _Problems, value: object, now: datetime) -> datetime:
    fallback = now + timedelta(days=7)
    if not isinstance(value, str) or not value.strip():
        problems.add(
            "closes_at",
            _("closes_at is required: an ISO 8601 date-time, such as 2027-01-31T17:00:00Z."),
        )
        return fallback
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        problems.add(
            "closes_at",
            _("closes_at is not a date-time: write it as 2027-01-31T17:00:00Z."),
        )
        return fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment <= now:
        problems.add("closes_at", _("closes_at must be in the future."))
    elif moment > now + MAX_CLOSE_AHEAD:
        problems.add("closes_at", _("closes_at can be at most a year ahead."))
    return moment


def _option(problems: _Problems, place: str, item: object) -> tuple[str, str]:
    """One option: its id and its default label (a plain string is both)."""
    if not isinstance(item, dict):
        option = _text(problems, place, item, limit=MAX_OPTION_CHARS)
        return option, option
    for key in sorted(set(item) - _OPTION_KEYS):
        problems.add(
            f"{place}.{key if QUESTION_ID.fullmatch(key) else '?'}",
            _("%(place)s has an unknown field %(field)s: an option has an id and a label.")
            % {"place": place, "field": key if QUESTION_ID.fullmatch(key) else "?"},
        )
    option = _text(problems, f"{place}.id", item.get("id"), limit=MAX_OPTION_CHARS)
    label = _text(problems, f"{place}.label", item.get("label"), limit=MAX_OPTION_CHARS)
    return option, label


def _options(
    problems: _Problems, place: str, value: object
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options' ids and their default labels."""
    if not isinstance(value, list) or not value:
        problems.add(place, _("%(place)s must be a list of options.") % {"place": place})
        return (), ()
    if len(value) > MAX_OPTIONS:
        problems.add(
            place,
            _("%(place)s can have at most %(n)d options.") % {"place": place, "n": MAX_OPTIONS},
        )
        return (), ()
    found: list[str] = []
    labels: list[str] = []
    for number, item in enumerate(value):
        option, label = _option(problems, f"{place}[{number}]", item)
        labels.append(label)
        if option and option in found:
            problems.add(
                f"{place}[{number}]",
                _("%(place)s: the option %(option)s is listed twice.")
                % {"place": place, "option": option},
            )
        found.append(option)
    if len(found) < 2:
        problems.add(place, _("%(place)s needs at least two options.") % {"place": place})
    return tuple(found), tuple(labels)


def _thresholds(problems: _Problems, place: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.add(
            place, _("%(place)s must be a list of numbers of coworkers.") % {"place": place}
        )
        return ()
    numbers: list[int] = []
    for number, item in enumerate(value[:MAX_OPTIONS]):
        numbers.append(_whole(problems, f"{place}[{number}]", item, lo=1, hi=MAX_THRESHOLD_N))
    if len(value) > MAX_OPTIONS:
        problems.add(
            place,
            _("%(place)s can have at most %(n)d options.") % {"place": place, "n": MAX_OPTIONS},
        )
    if numbers != sorted(set(numbers)):
        problems.add(
            place, _("%(place)s must list different numbers, smallest first.") % {"place": place}
        )
    return tuple(str(n) for n in numbers)


def _question(problems: _Problems, number: int, raw: object) -> Question | None:
    place = f"questions[{number}]"
    if not isinstance(raw, dict):
        problems.add(place, _("%(place)s must be an object.") % {"place": place})
        return None
    for key in sorted(set(raw) - _QUESTION_KEYS):
        problems.add(
            f"{place}.{key}",
            _("%(place)s has an unknown field %(field)s.")
            % {"place": place, "field": key if QUESTION_ID.fullmatch(key) else "?"},
        )
    qid = raw.get("id")
    if isinstance(qid, str) and qid in RESERVED_IDS:
        problems.add(
            f"{place}.id",
            _("%(place)s.id cannot be %(id)s: the answer form uses that name.")
            % {"place": place, "id": qid},
        )
        qid = f"q{number}"
    elif not isinstance(qid, str) or not QUESTION_ID.fullmatch(qid):
        problems.add(
            f"{place}.id",
            _(
                "%(place)s.id must be 1 to 40 lower-case letters, digits and underscores, "
                "starting with a letter."
            )
            % {"place": place},
        )
        qid = f"q{number}"
    kind = raw.get("type")
    if kind not in TYPES:
        problems.add(
            f"{place}.type",
            _("%(place)s.type must be one of: %(types)s.")
            % {"place": place, "types": ", ".join(TYPES)},
        )
        return None
    qtype = cast(QuestionType, kind)
    text = _text(problems, f"{place}.text", raw.get("text"), limit=MAX_QUESTION_TEXT)
    required = _flag(problems, f"{place}.required", raw.get("required"))
    crosstab = _flag(problems, f"{place}.crosstab", raw.get("crosstab"))
    if crosstab and qtype != "choice":
        problems.add(
            f"{place}.crosstab",
            _("%(place)s: only a choice question can be a unit of cross-tabulation.")
            % {"place": place},
        )
        crosstab = False
    allowed: dict[QuestionType, frozenset[str]] = {
        "choice": frozenset({"options", "crosstab"}),
        "multi": frozenset({"options"}),
        "scale": frozenset({"min", "max"}),
        "threshold": frozenset({"options"}),
        "text": frozenset({"max_length"}),
    }
    for key in sorted((set(raw) & _QUESTION_KEYS) - {"id", "type", "text", "required"}):
        if key not in allowed[qtype]:
            problems.add(
                f"{place}.{key}",
                _("%(place)s: a %(type)s question has no %(field)s.")
                % {"place": place, "type": qtype, "field": key},
            )
    options: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    minimum = maximum = max_length = 0
    if qtype in ("choice", "multi"):
        options, labels = _options(problems, f"{place}.options", raw.get("options"))
    elif qtype == "threshold":
        options = _thresholds(problems, f"{place}.options", raw.get("options"))
    elif qtype == "scale":
        lo, hi = SCALE_RANGE
        minimum = _whole(problems, f"{place}.min", raw.get("min"), lo=lo, hi=hi)
        maximum = _whole(problems, f"{place}.max", raw.get("max"), lo=lo, hi=hi)
        if not minimum < maximum <= minimum + MAX_SCALE_STEPS - 1:
            problems.add(
                f"{place}.max",
                _("%(place)s: max must be above min, with at most %(n)d steps from min to max.")
                % {"place": place, "n": MAX_SCALE_STEPS},
            )
    else:
        max_length = _whole(
            problems, f"{place}.max_length", raw.get("max_length"), lo=1, hi=MAX_TEXT_LENGTH
        )
    return Question(
        qid, qtype, text, options, labels, crosstab, required, minimum, maximum, max_length
    )


def _questions(problems: _Problems, value: object) -> tuple[Question, ...]:
    if not isinstance(value, list) or not value:
        problems.add("questions", _("questions must be a list of at least one question."))
        return ()
    if len(value) > MAX_QUESTIONS:
        problems.add("questions", _("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
        return ()
    found = [q for n, raw in enumerate(value) if (q := _question(problems, n, raw)) is not None]
    seen: set[str] = set()
    for number, question in enumerate(found):
        if question.id in seen:
            problems.add(
                f"questions[{number}].id",
                _("Two questions have the id %(id)s.") % {"id": question.id},
            )
        seen.add(question.id)
    if sum(1 for q in found if q.crosstab) > MAX_CROSSTABS:
        problems.add(
            "questions",
            _("At most %(n)d questions can be units of cross-tabulation.") % {"n": MAX_CROSSTABS},
        )
    if sum(q.max_length for q in found if q.type == "text") > MAX_TEXTS_TOTAL:
        problems.add(
            "questions",
            _("The text questions' max_length add up to at most %(n)d characters.")
            % {"n": MAX_TEXTS_TOTAL},
        )
    if all(q.type == "text" for q in found) and found:
        problems.add("questions", _("A survey needs at least one question that is counted."))
    return tuple(found)


def _named(problems: _Problems, place: str, key: object, known: Sequence[str], what: str) -> bool:
    """Whether `key` is one of `known`; else a problem at `place`."""
    if isinstance(key, str) and key in known:
        return True
    shown = key if isinstance(key, str) and len(key) <= MAX_OPTION_CHARS else "?"
    if isinstance(key, str) and FORBIDDEN_CHARACTERS.search(key):
        shown = "?"
    problems.add(
        place,
        _("%(place)s: %(key)s is not %(what)s of this survey.")
        % {"place": place, "key": shown, "what": what},
    )
    return False


def _translated_question(
    problems: _Problems, place: str, raw: object, question: Question
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.add(place, _("%(place)s must be an object.") % {"place": place})
        return {}
    found: dict[str, Any] = {}
    for key in sorted(set(raw) - _TRANSLATED_QUESTION_KEYS):
        _named(problems, f"{place}.?", key, sorted(_TRANSLATED_QUESTION_KEYS), _("a field"))
    if "text" in raw:
        text = _text(problems, f"{place}.text", raw["text"], limit=MAX_QUESTION_TEXT)
        if text:
            found["text"] = text
    if "options" in raw:
        options = raw["options"]
        if question.type not in ("choice", "multi"):
            problems.add(
                f"{place}.options",
                _("%(place)s: only the options of a choice or multi question have labels.")
                % {"place": place},
            )
        elif not isinstance(options, dict):
            problems.add(
                f"{place}.options",
                _("%(place)s.options must map option ids to labels.") % {"place": place},
            )
        else:
            labels: dict[str, str] = {}
            for option, label in options.items():
                where = f"{place}.options.{option}"
                if not _named(problems, where, option, question.options, _("an option id")):
                    continue
                text = _text(problems, where, label, limit=MAX_OPTION_CHARS)
                if text:
                    labels[option] = text
            found["options"] = labels
    return found


def _translations(
    problems: _Problems, value: object, questions: Sequence[Question]
) -> dict[str, Any]:
    """The translations, checked: known languages, question and option ids; lengths."""
    by_id = {question.id: question for question in questions}
    checked: dict[str, Any] = {}
    for given in written.check_translations(
        problems.add, value, {"title": MAX_TITLE, "intro": MAX_INTRO}, nested=("questions",)
    ):
        place = f"translations.{given.language}"
        found: dict[str, Any] = dict(given.texts)
        asked = given.raw.get("questions", {})
        if not isinstance(asked, dict):
            problems.add(
                f"{place}.questions",
                _("%(place)s.questions must map question ids to translations.") % {"place": place},
            )
            asked = {}
        translated: dict[str, Any] = {}
        for qid, item in asked.items():
            where = f"{place}.questions.{qid if qid in by_id else '?'}"
            if _named(problems, where, qid, sorted(by_id), _("a question id")):
                translated[qid] = _translated_question(problems, where, item, by_id[qid])
        if translated:
            found["questions"] = translated
        checked[given.language] = found
    return checked


def check(raw: object, *, now: datetime | None = None) -> Definition:
    """The definition in `raw` (parsed JSON), or Refused listing every problem."""
    now = now or datetime.now(UTC)
    problems = _Problems()
    if not isinstance(raw, dict):
        raise Refused(_("A survey definition is a JSON object."), code="invalid_survey")
    for key in sorted(set(raw) - _KEYS):
        problems.add(
            key if QUESTION_ID.fullmatch(key) else "?",
            _("Unknown field %(field)s.") % {"field": key if QUESTION_ID.fullmatch(key) else "?"},
        )
    slug = raw.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS:
        problems.add(
            "slug",
            _(
                "slug must be 1 to 64 lower-case letters, digits and dashes (not starting or "
                "ending with a dash), and not one of: %(reserved)s."
            )
            % {"reserved": ", ".join(sorted(RESERVED_SLUGS))},
        )
        slug = ""
    title = _text(problems, "title", raw.get("title"), limit=MAX_TITLE)
    intro = _text(problems, "intro", raw.get("intro"), limit=MAX_INTRO, required=False)
    closes_at = _closes_at(problems, raw.get("closes_at"), now)
    k = _whole(problems, "k", raw.get("k"), lo=MIN_K, hi=MAX_K, default=DEFAULT_K)
    mode = raw.get("invite_mode", InviteMode.INVITE.value)
    if mode not in (InviteMode.INVITE.value, InviteMode.OPEN.value):
        problems.add("invite_mode", _("invite_mode must be invite or open."))
        mode = InviteMode.INVITE.value
    onward = _whole(
        problems,
        "onward_invites",
        raw.get("onward_invites"),
        lo=0,
        hi=policy.MAX_ONWARD_INVITES,
        default=0,
    )
    depth = _whole(
        problems,
        "invite_depth",
        raw.get("invite_depth"),
        lo=0,
        hi=policy.MAX_INVITE_DEPTH,
        default=policy.DEFAULT_INVITE_DEPTH,
    )
    if mode == InviteMode.INVITE.value and onward and policy.chain_bound(onward, depth) >= k:
        problems.add(
            "onward_invites",
            _(
                "With %(onward)d onward codes and a depth of %(depth)d, one person holding one "
                "code could add %(bound)d answers: at least k (%(k)d), enough to make a small "
                "count appear. Give fewer onward codes, a smaller depth, or a larger k."
            )
            % {
                "onward": onward,
                "depth": depth,
                "bound": policy.chain_bound(onward, depth),
                "k": k,
            },
        )
    team_raw = raw.get("team", [])
    team: tuple[str, ...] = ()
    if not isinstance(team_raw, list) or not all(isinstance(name, str) for name in team_raw):
        problems.add("team", _("team must be a list of account names."))
    elif len(team_raw) > MAX_TEAM:
        problems.add("team", _("A survey's team has at most %(n)d members.") % {"n": MAX_TEAM})
    else:
        team = tuple(dict.fromkeys(name.strip().lower() for name in team_raw if name.strip()))
    keep = _whole(
        problems,
        "keep_texts_days",
        raw.get("keep_texts_days"),
        lo=KEEP_TEXTS_RANGE[0],
        hi=KEEP_TEXTS_RANGE[1],
        default=DEFAULT_KEEP_TEXTS_DAYS,
    )
    questions = _questions(problems, raw.get("questions"))
    translations = _translations(problems, raw.get("translations"), questions)
    problems.refuse_if_any()
    return Definition(
        slug=slug,
        title=title,
        intro=intro,
        closes_at=closes_at,
        k=k,
        invite_mode=InviteMode(mode),
        onward_invites=onward,
        invite_depth=depth,
        questions=questions,
        team=team,
        keep_texts_days=keep,
        translations=translations,
    )


def parse(text: bytes | str, *, now: datetime | None = None) -> Definition:
    """A definition from the text of a JSON file."""
    if len(text) > MAX_FILE_BYTES:
        raise Refused(
            _("A survey definition is at most %(n)d bytes.") % {"n": MAX_FILE_BYTES},
            status=413,
            code="too_large",
        )
    try:
        raw = json.loads(text)
    # RecursionError: absurdly deep nesting, within the size limit.
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise Refused(
            _("This is not valid JSON (%(where)s).") % {"where": type(error).__name__},
            code="invalid_json",
        ) from None
    return check(raw, now=now)


# --- the organisers' web form ------------------------------------------------------------------
# The same definition, typed into a form with a fixed number of question slots (no JavaScript
# to add one); a slot whose question text is empty is left out. Its problems are named by slot.

FORM_SLOTS = 12
_FORM_TEXT_LIMIT = 20_000
_WHOLE = re.compile(r"-?[0-9]{1,6}")


def _form_number(text: str) -> object:
    text = text.strip()
    if not text:
        return None
    return int(text) if _WHOLE.fullmatch(text) else text


def _form_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def from_form(values: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The definition typed into the form (`values`: each field's text), as the JSON file would
    hold it, and the slot of each question kept (to name problems by slot)."""

    def text(name: str) -> str:
        return str(values.get(name, ""))[:_FORM_TEXT_LIMIT]

    raw: dict[str, Any] = {
        "slug": text("slug").strip(),
        "title": text("title"),
        "intro": text("intro").replace("\r\n", "\n"),
        "closes_at": text("closes_at"),
        "invite_mode": text("invite_mode") or InviteMode.INVITE.value,
        "team": [name.strip() for name in text("team").split(",") if name.strip()],
    }
    for name in ("k", "onward_invites", "invite_depth", "keep_texts_days"):
        number = _form_number(text(name))
        if number is not None:
            raw[name] = number
    questions: list[dict[str, Any]] = []
    slots: list[int] = []
    for slot in range(FORM_SLOTS):
        asked = text(f"q{slot}_text").strip()
        if not asked:
            continue
        kind = text(f"q{slot}_type")
        question: dict[str, Any] = {
            "id": text(f"q{slot}_id").strip() or f"q{slot + 1}",
            "type": kind,
            "text": asked,
            "required": bool(text(f"q{slot}_required")),
        }
        lines = _form_lines(text(f"q{slot}_options"))
        if kind in ("choice", "multi"):
            question["options"] = lines
        if kind == "choice":
            question["crosstab"] = bool(text(f"q{slot}_crosstab"))
        if kind == "threshold":
            question["options"] = [_form_number(line) for line in lines]
        if kind == "scale":
            question["min"] = _form_number(text(f"q{slot}_min"))
            question["max"] = _form_number(text(f"q{slot}_max"))
        if kind == "text":
            question["max_length"] = _form_number(text(f"q{slot}_max_length"))
        questions.append(question)
        slots.append(slot)
    raw["questions"] = questions
    translations = _form_translations(text, questions, slots)
    if translations:
        raw["translations"] = translations
    return raw, slots


def _form_translations(
    text: Callable[[str], str], questions: Sequence[Mapping[str, Any]], slots: Sequence[int]
) -> dict[str, Any]:
    """The words typed in the form's other languages (`translations.<code>.<field>`), as the
    file holds them. A question's option labels are typed one per line, in the order of its
    options; what is left empty is left out (the default words stand in). The counted parts
    (ids, options) are the default language's: a translation only labels them."""
    found: dict[str, Any] = {}
    for language in written.other_languages():

        def field(name: str, language: str = language) -> str:
            return text(f"translations.{language}.{name}").strip()

        given: dict[str, Any] = {}
        for name in ("title", "intro"):
            if field(name):
                given[name] = field(name).replace("\r\n", "\n")
        asked: dict[str, Any] = {}
        for slot, question in zip(slots, questions, strict=True):
            own: dict[str, Any] = {}
            if field(f"q{slot}_text"):
                own["text"] = field(f"q{slot}_text")
            # Line n labels option n: an empty line leaves that option's default label.
            labels = [line.strip() for line in field(f"q{slot}_options").splitlines()]
            if any(labels):
                options = [str(option) for option in question.get("options", [])]
                # A label line with no option beside it names no option: refused by the check.
                own["options"] = {
                    (options[n] if n < len(options) else f"line {n + 1}"): label
                    for n, label in enumerate(labels)
                    if label
                }
            if own:
                asked[str(question["id"])] = own
        if asked:
            given["questions"] = asked
        if given:
            found[language] = given
    return found


def form_places(refusal: Refused, slots: Sequence[int]) -> Refused:
    """The refusal of a definition read from the form, its places named by question slot."""

    def place(name: str) -> str:
        match = re.match(r"questions\[([0-9]+)\](.*)", name)
        if not match or int(match.group(1)) >= len(slots):
            return name
        return f"question {slots[int(match.group(1))] + 1}{match.group(2)}"

    return Refused(
        {place(name): message for name, message in refusal.errors.items()},
        status=refusal.status,
        code=refusal.code,
    )


def form_values(definition_values: Mapping[str, Any]) -> dict[str, str]:
    """A definition (as in the JSON file) as the form's fields, to fill it in."""
    values: dict[str, str] = {name: str(definition_values.get(name, "")) for name in _SCALARS}
    values["team"] = ", ".join(definition_values.get("team", []))
    for slot, question in enumerate(definition_values.get("questions", [])[:FORM_SLOTS]):
        values[f"q{slot}_id"] = str(question.get("id", ""))
        values[f"q{slot}_type"] = str(question.get("type", ""))
        values[f"q{slot}_text"] = str(question.get("text", ""))
        values[f"q{slot}_options"] = "\n".join(
            str(o.get("id", "")) if isinstance(o, dict) else str(o)
            for o in question.get("options", [])
        )
        for key in ("min", "max", "max_length"):
            if key in question:
                values[f"q{slot}_{key}"] = str(question[key])
        values[f"q{slot}_required"] = "yes" if question.get("required") else ""
        values[f"q{slot}_crosstab"] = "yes" if question.get("crosstab") else ""
    translations: Mapping[str, Any] = definition_values.get("translations") or {}
    for language, given in translations.items():
        for name in ("title", "intro"):
            if given.get(name):
                values[f"translations.{language}.{name}"] = str(given[name])
        asked: Mapping[str, Any] = given.get("questions") or {}
        for slot, question in enumerate(definition_values.get("questions", [])[:FORM_SLOTS]):
            own: Mapping[str, Any] = asked.get(str(question.get("id", ""))) or {}
            if own.get("text"):
                values[f"translations.{language}.q{slot}_text"] = str(own["text"])
            labels: Mapping[str, str] = own.get("options") or {}
            if labels:
                ids = [
                    str(o.get("id", "")) if isinstance(o, dict) else str(o)
                    for o in question.get("options", [])
                ]
                values[f"translations.{language}.q{slot}_options"] = "\n".join(
                    labels.get(option, "") for option in ids
                )
    return values
