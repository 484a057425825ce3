"""Anonymous follow-up: a reporter comes back with the receipt, reads and writes messages.

The receipt is the only credential. A wrong receipt and a malformed one get the same answer.
Messages are sealed to the inbox key and to the report's own key (derived from the receipt),
and carry only the week they were written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import nacl.public
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crypto import codes, reportbox
from crypto.keystore import Keystore
from organise import typed_codes
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.reports.inbox import ensure_inbox
from organise.reports.models import Author, Report, ReportMessage, ReviewState
from organise.reports.submission import receipt_hash
from organise.submissions.once import Outcomes, Record, content
from organise.weeks import this_week

MAX_MESSAGES_PER_REPORT = 200
_WRONG_RECEIPT_PROBE = "not a receipt"


def wrong_receipt() -> Refused:
    return Refused(
        _(
            "No report matches this receipt. Check that you typed all eight words as they "
            "were shown to you."
        ),
        status=404,
        code="unknown_receipt",
    )


@dataclass(frozen=True)
class ReporterAccess:
    """A report opened with its receipt: the report and the key that reads its messages."""

    report: Report
    key: nacl.public.PrivateKey
    receipt: str  # normalised; needed again for the next form (sent by POST only)


async def open_with_receipt(receipt: object, pepper: bytes) -> ReporterAccess:
    normalised = typed_codes.receipt_or_none(receipt)
    # Hash and look up even for a malformed receipt, so both failures take the same path.
    digest = receipt_hash(normalised or _WRONG_RECEIPT_PROBE, pepper)
    report = await Report.get_or_none(receipt_hash=digest)
    if normalised is None or report is None:
        raise wrong_receipt()
    if not codes.hashes_equal(bytes.fromhex(report.receipt_hash), bytes.fromhex(digest)):
        raise wrong_receipt()
    key = reportbox.reporter_private_key(normalised, pepper)
    return ReporterAccess(report=report, key=key, receipt=normalised)


# A message sent again with its submission token is not added twice; the page shows the
# conversation as it is.
SENT = Outcomes[None](keep=lambda _sent: {"sent": True}, shown_again=lambda _outcome: None)


def message_content(access: ReporterAccess, text: str) -> bytes:
    """What counts as "the same message" for a submission token: the receipt and the text."""
    return content("message", {"receipt": access.receipt, "message": text})


@dataclass(frozen=True)
class Message:
    author: Author
    week: date
    text: str


def state_name(state: ReviewState | str) -> str:
    """A review state's short name, for reviewers' pages."""
    names = {
        ReviewState.NEW: _("New"),
        ReviewState.CORROBORATED: _("Corroborated"),
        ReviewState.VERIFIED: _("Verified"),
        ReviewState.REJECTED: _("Rejected"),
        ReviewState.PUBLISHED: _("Published"),
    }
    return _("All") if state == "all" else names[ReviewState(state)]


def state_text(state: ReviewState) -> str:
    """What a review state means, in words for the reporter."""
    texts = {
        ReviewState.NEW: _("Received; not reviewed yet."),
        ReviewState.CORROBORATED: _("Corroborated: other information supports it."),
        ReviewState.VERIFIED: _("Verified by the reviewers."),
        ReviewState.REJECTED: _("Not taken further: the reviewers could not confirm it."),
        ReviewState.PUBLISHED: _("Published in the contract database."),
    }
    return texts[state]


def shown_state(report: Report) -> ReviewState:
    """The review state a reporter sees: their own report's, never another report's.

    Merging changes no report's state, and a report merged into another keeps the state it
    had; only publication (a public event) moves every report behind the record to
    "published". So the state tells a reporter nothing about other reports: whether someone
    else reported the same contract, or how reviewers judged what they said.
    """
    return report.state


def _context(message: ReportMessage) -> str:
    return reportbox.message_context(
        message.report_id, message.id, message.position, message.author.value
    )


async def read_messages(report: Report, key: nacl.public.PrivateKey) -> list[Message]:
    """Every message of a report, oldest first, opened with the reporter's or the inbox key."""
    messages = await ReportMessage.filter(report_id=report.id).order_by("position")
    return [
        Message(
            author=message.author,
            week=message.week,
            text=reportbox.open_text(message.sealed, key, context=_context(message)),
        )
        for message in messages
    ]


async def add_message(
    report: Report,
    text: str,
    *,
    author: Author,
    keystore: Keystore,
    organiser: Organiser | None = None,
    remember: Record[None] | None = None,
) -> None:
    """Seal `text` to the inbox and the reporter, and append it to the conversation.

    `remember` (a submission token's record) runs last in the message's transaction.
    """
    inbox = await ensure_inbox(keystore)
    for _attempt in range(3):
        try:
            async with in_transaction() as connection:
                last = await ReportMessage.filter(report_id=report.id).order_by("-position").first()
                position = last.position + 1 if last else 1
                if position > MAX_MESSAGES_PER_REPORT:
                    raise Refused(
                        _("This conversation is full. Please start a new report."),
                        status=409,
                        code="conversation_full",
                    )
                message = ReportMessage(
                    id=uuid.uuid4(),
                    report_id=report.id,
                    position=position,
                    author=author,
                    author_organiser_id=organiser.id if organiser else None,
                    week=this_week(),
                    sealed=b"",
                )
                message.sealed = reportbox.seal_text(
                    text,
                    [inbox.public_key, report.reporter_public_key],
                    context=_context(message),
                )
                await message.save(force_create=True)
                if remember is not None:
                    await remember(connection, None)
                return
        except IntegrityError:
            continue  # someone took that position at the same moment; take the next
    raise Refused(_("Please try sending your message again."), status=409, code="conflict")
