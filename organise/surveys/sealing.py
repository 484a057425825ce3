"""A response as sealed on arrival: two blobs of one fixed length per survey.

- The choices (every question but text ones): canonical JSON, padded to the survey's choices
  bucket, sealed to its tally key.
- The text answers: canonical JSON, padded to the survey's text bucket, sealed to its text key.
  Every response carries one, empty answers included, so the blob says nothing about whether
  anything was written (a survey without text questions seals an empty object).

The buckets are computed from the definition as the most any answer could take (every option of
every question ticked, every text at its longest, four bytes per character), so every possible
answer fits and every blob of a survey has the same length.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from crypto import ballots
from organise.surveys.definition import Question
from organise.surveys.models import Survey

# Bytes per character at most, in UTF-8 and JSON escapes (\n is 2, an astral character 4).
_BYTES_PER_CHAR = 4
_NUMBER_BYTES = 12
_SLACK = 16


def choices_bucket(questions: Sequence[Question]) -> int:
    size = 2 + _SLACK
    for question in questions:
        key = len(question.id) + 4  # "id":  and a comma
        if question.type == "choice":
            size += key + 2 + _BYTES_PER_CHAR * max(len(option) for option in question.options)
        elif question.type == "multi":
            size += key + 2 + sum(3 + _BYTES_PER_CHAR * len(option) for option in question.options)
        elif question.type in ("scale", "threshold"):
            size += key + _NUMBER_BYTES
    return size


def texts_bucket(questions: Sequence[Question]) -> int:
    size = 2 + _SLACK
    for question in questions:
        if question.type == "text":
            size += len(question.id) + 4 + 2 + _BYTES_PER_CHAR * question.max_length
    return size


def _encode(values: Mapping[str, Any]) -> bytes:
    return json.dumps(
        dict(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def choices_context(survey: Survey) -> str:
    return f"organise/survey/{survey.id}/choices"


def texts_context(survey: Survey) -> str:
    return f"organise/survey/{survey.id}/texts"


def split(
    questions: Sequence[Question], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers given (empty ones left out): (choices, texts)."""
    choices: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for question in questions:
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            continue
        if question.type == "text":
            texts[question.id] = str(value)
        else:
            choices[question.id] = value
    return choices, texts


def seal_response(
    survey: Survey, questions: Sequence[Question], answers: Mapping[str, Any]
) -> tuple[bytes, bytes]:
    """(sealed choices, sealed texts) of one response, read by the survey's answers table."""
    choices, texts = split(questions, answers)
    return (
        ballots.seal(
            _encode(choices),
            bytes(survey.tally_public_key),
            bucket=choices_bucket(questions),
            context=choices_context(survey),
        ),
        ballots.seal(
            _encode(texts),
            bytes(survey.text_public_key),
            bucket=texts_bucket(questions),
            context=texts_context(survey),
        ),
    )


def open_choices(
    survey: Survey, questions: Sequence[Question], blob: bytes, private_key: bytes
) -> dict[str, Any]:
    opened = ballots.open_sealed(
        blob, private_key, bucket=choices_bucket(questions), context=choices_context(survey)
    )
    return dict(json.loads(opened))


def open_texts(
    survey: Survey, questions: Sequence[Question], blob: bytes, private_key: bytes
) -> dict[str, str]:
    opened = ballots.open_sealed(
        blob, private_key, bucket=texts_bucket(questions), context=texts_context(survey)
    )
    return {str(key): str(value) for key, value in json.loads(opened).items()}
