"""Field rules: one table per form, read the same way from a web form and from JSON.

A `FieldTable` lists each field once (name, kind, required, limits, accepted values, normaliser,
message). `read_json` and `read_form` check every field, and the table's rules across fields,
and raise one `Refused` naming every field that is wrong, before anything is stored; `schema()`
gives the OpenAPI schema of the body, so the published API cannot drift from what is enforced.

Web forms send text only: a form's whole number is typed digits, a yes/no is a checkbox that is
sent or not, a list is a repeated field, and an object is one field per leaf, named by its path
(`translations.fr.title`), the blank ones left out. JSON must use the real types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, overload

from organise.i18n import Message, _l
from organise.refusal import Refused

Kind = Literal["text", "integer", "boolean", "list", "object"]

# C0 controls other than tab, newline and carriage return; DEL; lone surrogates (not UTF-8).
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# ASCII digits only: str.isdigit() and \d also take Arabic-Indic and other scripts' digits.
ASCII_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
# An unknown field's name is echoed only when plain, so the error itself is always valid text.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")
_CHECKED = frozenset({"1", "on", "true", "yes"})


class FormData(Protocol):
    """What a parsed web form or a query string offers (Starlette's ImmutableMultiDict)."""

    @overload
    def get(self, key: Any, /) -> Any: ...

    @overload
    def get(self, key: Any, default: Any, /) -> Any: ...

    def getlist(self, key: Any) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __contains__(self, key: object, /) -> bool: ...


class FieldProblem(Exception):
    """One field's value is not acceptable; collected into a `Refused` by the table."""

    def __init__(self, message: Message, code: str, status: int = 422) -> None:
        super().__init__(code)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Field:
    name: str
    label: Message
    kind: Kind = "text"
    required: bool = False
    # text (and each item of a list): characters after stripping.
    max_chars: int | None = None
    # integer: the accepted range.
    minimum: int | None = None
    maximum: int | None = None
    # list: how many items.
    max_items: int | None = None
    # Accepted values (text, or each item of a list), looked up when reading.
    choices: Callable[[], Collection[str]] | None = None
    # After the generic checks: returns the value to keep, or raises FieldProblem.
    normalise: Callable[[Any], Any] | None = None
    # Said when a value is not one of `choices` (default: a generic sentence), and its code.
    message: Message | None = None
    code: str | None = None
    # Said when a required field is empty (default: "<label> is required.").
    missing_message: Message | None = None
    # Text lines in a web form become a list (one item per non-empty line), e.g. links.
    lines: bool = False
    description: str = ""
    # Extra OpenAPI keywords (pattern, enum of a fixed vocabulary...).
    schema_extra: Mapping[str, Any] = field(default_factory=dict)

    # --- reading one value -------------------------------------------------------------------

    def _text(self, value: object) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise FieldProblem(_l("%(label)s must be text.", label=self.label), "invalid_field")
        if FORBIDDEN_CHARACTERS.search(value):
            raise FieldProblem(
                _l("%(label)s contains characters that are not valid text.", label=self.label),
                "invalid_text",
                400,
            )
        value = value.strip()
        if self.max_chars is not None and len(value) > self.max_chars:
            raise FieldProblem(
                _l(
                    "%(label)s can be at most %(n)d characters; this has %(m)d.",
                    label=self.label,
                    n=self.max_chars,
                    m=len(value),
                ),
                "too_long",
            )
        return value

    def _choice(self, value: str) -> str:
        if value and self.choices is not None and value not in self.choices():
            message = self.message or _l(
                "%(label)s: %(value)s is not one of the accepted values.",
                label=self.label,
                value=value if _PLAIN_NAME.fullmatch(value) else "?",
            )
            raise FieldProblem(message, self.code or f"unknown_{self.name}")
        return value

    def _integer(self, value: object, *, from_form: bool) -> int | None:
        if from_form and isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            value = int(value) if ASCII_WHOLE_NUMBER.fullmatch(value) else "not a number"
        if value is None:
            return None
        # bool is an int subclass in Python; true is not a number of people.
        in_range = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (self.minimum is None or value >= self.minimum)
            and (self.maximum is None or value <= self.maximum)
        )
        if not in_range:
            if self.minimum is not None and self.maximum is not None:
                raise FieldProblem(
                    _l(
                        "%(label)s must be a whole number from %(lo)d to %(hi)d.",
                        label=self.label,
                        lo=self.minimum,
                        hi=self.maximum,
                    ),
                    "invalid_field",
                )
            raise FieldProblem(
                _l("%(label)s must be a whole number.", label=self.label), "invalid_field"
            )
        assert isinstance(value, int)
        return value

    def _boolean(self, value: object, *, from_form: bool) -> bool:
        if from_form:
            return str(value or "").strip().lower() in _CHECKED
        if value is None:
            return False
        if not isinstance(value, bool):
            raise FieldProblem(
                _l("%(label)s must be true or false.", label=self.label), "invalid_field"
            )
        return value

    def _list(self, value: object) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise FieldProblem(_l("%(label)s must be a list.", label=self.label), "invalid_field")
        if self.max_items is not None and len(value) > self.max_items:
            raise FieldProblem(
                _l("%(label)s can have at most %(n)d entries.", label=self.label, n=self.max_items),
                "too_many",
            )
        items = [self._choice(self._text(item)) for item in value]
        return list(dict.fromkeys(item for item in items if item))

    def _object(self, value: object) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise FieldProblem(
                _l("%(label)s must be an object.", label=self.label), "invalid_field"
            )
        return value

    def read(self, value: object, *, from_form: bool = False) -> Any:
        """The value to keep, or a FieldProblem."""
        if self.kind == "object":
            # Its contents are the normaliser's to check (they differ with each use).
            result: Any = self._object(value)
            missing = not result
        elif self.kind == "text":
            result = self._choice(self._text(value))
            missing = not result
        elif self.kind == "integer":
            result = self._integer(value, from_form=from_form)
            missing = result is None
        elif self.kind == "boolean":
            result = self._boolean(value, from_form=from_form)
            missing = False
        else:
            result = self._list(value)
            missing = not result
        if self.required and missing:
            raise FieldProblem(
                self.missing_message or _l("%(label)s is required.", label=self.label),
                "missing_field",
            )
        if self.normalise is not None and not missing:
            result = self.normalise(result)
        return result

    # --- the published schema ----------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "string"}
        if self.max_chars is not None:
            item["maxLength"] = self.max_chars
        if self.kind == "text":
            schema = item
        elif self.kind == "integer":
            schema = {"type": "integer"}
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        elif self.kind == "boolean":
            schema = {"type": "boolean"}
        elif self.kind == "object":
            schema = {"type": "object"}
        else:
            schema = {"type": "array", "items": item}
            if self.max_items is not None:
                schema["maxItems"] = self.max_items
        if not self.required and self.kind != "boolean":
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        schema.update(self.schema_extra)
        return schema


def form_object(form: FormData, name: str) -> dict[str, Any]:
    """The object a form gives as fields named `name.a.b`: `{"a": {"b": text}}`, blank leaves
    (and the branches left empty by them) left out."""
    prefix = f"{name}."
    found: dict[str, Any] = {}
    for key in form:
        key = str(key)
        if not key.startswith(prefix):
            continue
        value = str(form.get(key, "") or "")
        path = key[len(prefix) :].split(".")
        if not value.strip() or not all(path):
            continue
        node = found
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(path[-1], value)
    return found


@dataclass(frozen=True)
class FieldTable:
    """The fields of one form or JSON body. `name` names its schema in the OpenAPI document."""

    name: str
    fields: tuple[Field, ...]
    # JSON bodies with fields not in the table are refused unless this is set.
    allow_unknown: bool = False
    # Rules across fields (each raises Refused naming its fields), run over the fields that
    # could be read, so that what they find is said together with every field's own problem.
    checks: tuple[Callable[[Mapping[str, Any]], None], ...] = ()

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: a field is listed twice")

    def __getitem__(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    def _read(self, values: Iterable[tuple[Field, object]], *, from_form: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        problems: dict[str, FieldProblem] = {}
        for rule, raw in values:
            try:
                result[rule.name] = rule.read(raw, from_form=from_form)
            except FieldProblem as problem:
                problems[rule.name] = problem
        for check in self.checks:
            try:
                check(result)
            except Refused as refusal:
                for name, message in refusal.errors.items():
                    problems.setdefault(name, FieldProblem(message, refusal.code, refusal.status))
        if problems:
            first = next(iter(problems.values()))
            raise Refused(
                {name: problem.message for name, problem in problems.items()},
                status=first.status,
                code=first.code,
            )
        return result

    def read_json(self, data: Mapping[str, object]) -> dict[str, Any]:
        """Every field of a JSON object, checked; one Refused lists every problem."""
        if not self.allow_unknown:
            unknown = sorted(set(data) - self.names)
            if unknown:
                name = unknown[0] if _PLAIN_NAME.fullmatch(unknown[0]) else "?"
                raise Refused(
                    {unknown[0]: _l("Unknown field %(field)s.", field=name)}, code="unknown_field"
                )
        return self._read(((f, data.get(f.name)) for f in self.fields), from_form=False)

    def read_form(self, form: FormData) -> dict[str, Any]:
        """Every field of a submitted web form, checked; one Refused lists every problem."""

        def raw(rule: Field) -> object:
            if rule.kind == "object":
                return form_object(form, rule.name)
            if rule.kind == "list":
                if rule.lines:
                    text = str(form.get(rule.name, "") or "")
                    return [line.strip() for line in text.splitlines() if line.strip()]
                return [str(item) for item in form.getlist(rule.name)]
            return form.get(rule.name)

        return self._read(((f, raw(f)) for f in self.fields), from_form=True)

    def typed_back(self, form: FormData) -> dict[str, Any]:
        """What the person typed, to fill the form in again beside the errors (an object's
        leaves by their paths, as the form names them)."""
        typed: dict[str, Any] = {}
        for f in self.fields:
            if f.kind == "object":
                prefix = f"{f.name}."
                typed.update(
                    (str(key), str(form.get(key, "") or ""))
                    for key in form
                    if str(key).startswith(prefix)
                )
            elif f.kind == "list" and not f.lines:
                typed[f.name] = [str(item) for item in form.getlist(f.name)]
            else:
                typed[f.name] = str(form.get(f.name, "") or "")
        return typed

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: f.schema() for f in self.fields},
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if not self.allow_unknown:
            schema["additionalProperties"] = False
        return schema
