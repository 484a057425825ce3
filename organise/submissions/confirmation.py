""" "I have written it down": the worker types the last two words of the receipt they were shown.

Both receipt pages (pledge and report) end with this step. The receipt travels back in the
form's body (a hidden field), never in an address; once the words match, the record that could
show the receipt again is deleted (`tokens.forget_form_token`).
"""

from __future__ import annotations

from crypto import codes
from crypto.errors import CodeFormatError
from organise.fields import FormData
from organise.i18n import _
from organise.refusal import Refused

MAX_TYPED_CHARS = 400


def shown_receipt(form: FormData) -> str:
    """The receipt the page showed, sent back in its hidden field, normalised."""
    try:
        return codes.normalise_receipt(str(form.get("receipt", ""))[:MAX_TYPED_CHARS])
    except CodeFormatError:
        raise Refused(
            _("This page's receipt is damaged. Go back to your receipt and try again."),
            status=400,
            code="invalid_receipt",
        ) from None


def last_two_words(text: str) -> list[str]:
    words = [word for word in text[:MAX_TYPED_CHARS].lower().replace("-", " ").split() if word]
    return words[-2:]


def last_two_words_match(typed: str, receipt: str) -> bool:
    return last_two_words(typed) == receipt.split(codes.RECEIPT_SEPARATOR)[-2:]


def wrong_last_words() -> str:
    return _(
        "Those are not the last two words of your receipt. Copy the receipt again "
        "carefully, then type its last two words."
    )
