"""What a worker types back: receipts and invite codes, read into their one form.

`crypto.codes` makes and normalises both. Here is what every feature (pledges, survey answers,
reports) does with one as typed: refuse what is not one at all with the same words everywhere
(`receipt`, `invite_code`), test one quietly (`receipt_or_none`, `invite_code_or_none`: a limit
probe, a look-up that must not tell a malformed code from an unknown one), and say what counts
as "the same" code in a submission's content (`as_sent`: normalised when it is one, so that the
same code typed in lower case or without dashes is the same submission).
"""

from __future__ import annotations

from collections.abc import Callable

from crypto import codes
from crypto.errors import CodeFormatError
from organise.i18n import LazyText, _l
from organise.refusal import Refused

NOT_A_RECEIPT = _l(
    "This is not a receipt: a receipt is 8 words from our word list, separated by dashes or "
    "spaces. Check what you wrote down."
)
NOT_AN_INVITE_CODE = _l(
    "This invite code is not valid: a code is 28 letters and digits, usually written in "
    "groups of four."
)


def receipt(text: str) -> str:
    """A receipt as typed, normalised; Refused if it is not a receipt at all."""
    return _required(receipt_or_none(text), "receipt", NOT_A_RECEIPT, "invalid_receipt")


def invite_code(text: str) -> str:
    """An invite code as typed, normalised; Refused if it is not a code at all."""
    return _required(
        invite_code_or_none(text), "invite_code", NOT_AN_INVITE_CODE, "invalid_invite_code"
    )


def _required(normalised: str | None, field: str, message: LazyText, code: str) -> str:
    if normalised is None:
        raise Refused({field: str(message)}, code=code)
    return normalised


def receipt_or_none(text: object) -> str | None:
    return _normalised(text, codes.normalise_receipt)


def invite_code_or_none(text: object) -> str | None:
    return _normalised(text, codes.normalise_invite_code)


def as_sent(text: str, normalise: Callable[[str], str]) -> str:
    """What counts as the same code in a submission: normalised when it is one, else as typed."""
    normalised = _normalised(text, normalise)
    return text if normalised is None else normalised


def _normalised(text: object, normalise: Callable[[str], str]) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        return normalise(text)
    except CodeFormatError:
        return None
