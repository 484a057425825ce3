"""The campaign forms' fields: one table per form, read the same way from a page, JSON or the CLI.

- `PLEDGE`: signing, from the sign page and `POST /api/v1/campaigns/{slug}/pledges`. Whether an
  invite code is needed, and the lowest personal threshold, depend on the campaign: `signing`
  checks those, keyed by the field.
- `RECEIPT`: a pledge's status and withdrawal, from the pages and the API.
- `CAMPAIGN`: creating a campaign with `organise campaign create`; `CAMPAIGN_PAGE`, the
  organiser's form, also asks for the employer. The deadline's distance from now and the gate's
  combination of numbers are checked in `setup`.
- `INVITES`: the organiser's batch of invite codes.
- `REVOKE`, `EXTEND`, `EDIT`, `CONFIRM`: the team revoking codes, extending the deadline,
  editing the wording before the first pledge, stopping or archiving; each with the box whose
  label names the consequence.
- `TEAM_MEMBER`, `OWNER_ASSIGNMENT`: the owner adding or removing a co-organiser; an
  administrator assigning a new owner to a campaign waiting for one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from organise.campaigns import policy
from organise.campaigns.models import Audience, InviteMode, ProgressDisplay
from organise.fields import Field, FieldProblem, FieldTable
from organise.i18n import DEFAULT_LOCALE, LazyText, Message, _l, languages, written
from organise.numbers import whole_number
from organise.refusal import Refused

# --- pledges ---------------------------------------------------------------------------------

MAX_NAME_CHARS = 100
MAX_CONTACT_CHARS = 200
MAX_TEAM_CHARS = 100
MAX_MESSAGE_CHARS = 1000
MAX_CODE_CHARS = 100
MAX_RECEIPT_CHARS = 200

# C1 controls: not refused by the shared rules, but never meant in a pledge.
_C1_CONTROLS = re.compile(r"[\x80-\x9f]")


def _control_characters(label: Message) -> FieldProblem:
    return FieldProblem(
        _l("%(label)s contains control characters; please remove them.", label=label),
        "invalid_field",
    )


def one_line(label: Message) -> Callable[[str], str]:
    """Refuses line breaks, tabs and C1 controls in a one-line field."""

    def check(value: str) -> str:
        if any(char in value for char in "\n\r\t") or _C1_CONTROLS.search(value):
            raise _control_characters(label)
        return value

    return check


def several_lines(label: Message, max_chars: int) -> Callable[[str], str]:
    """Text with line breaks, counted as one character each, as the browser counted them.

    A textarea's `maxlength` counts a line break once but sends it as CR LF: the length is
    checked here, after the line breaks are made LF, rather than by the shared rule.
    """

    def check(value: str) -> str:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _C1_CONTROLS.search(value):
            raise _control_characters(label)
        if len(value) > max_chars:
            raise FieldProblem(
                _l(
                    "%(label)s can be at most %(n)d characters; this has %(m)d.",
                    label=label,
                    n=max_chars,
                    m=len(value),
                ),
                "too_long",
            )
        return value

    return check


def _text(
    name: str,
    label: Message,
    max_chars: int,
    *,
    required: bool = False,
    multiline: bool = False,
    description: str = "",
) -> Field:
    if multiline:
        return Field(
            name,
            label,
            required=required,
            normalise=several_lines(label, max_chars),
            description=description,
            schema_extra={"maxLength": max_chars},
        )
    return Field(
        name,
        label,
        required=required,
        max_chars=max_chars,
        normalise=one_line(label),
        description=description,
    )


def _number(
    name: str,
    label: Message,
    minimum: int,
    maximum: int,
    *,
    required: bool = True,
    description: str = "",
) -> Field:
    """A whole number from `minimum` to `maximum`."""
    return Field(
        name,
        label,
        kind="integer",
        required=required,
        minimum=minimum,
        maximum=maximum,
        description=description,
    )


_NAME = _l("Name or pseudonym")
_CONTACT = _l("Contact")
_TEAM = _l("Team or role")
_MESSAGE = _l("Message")
_INVITE_CODE = _l("Invite code")

PLEDGE = FieldTable(
    "PledgeInput",
    (
        _text(
            "invite_code",
            _INVITE_CODE,
            MAX_CODE_CHARS,
            description="Needed unless the campaign is open to anyone.",
        ),
        _text("name", _NAME, MAX_NAME_CHARS, required=True),
        _text("contact", _CONTACT, MAX_CONTACT_CHARS),
        _text("team", _TEAM, MAX_TEAM_CHARS),
        _text("message", _MESSAGE, MAX_MESSAGE_CHARS, multiline=True),
        _number(
            "personal_threshold",
            _l("Your own threshold"),
            policy.MIN_THRESHOLD,
            policy.MAX_THRESHOLD,
            required=False,
            description="At least the campaign's threshold; when left out, the campaign's.",
        ),
        Field(
            "list_publicly",
            _l("The listing choice"),
            kind="boolean",
            description="Only kept when the campaign's audience is the public.",
        ),
    ),
)

RECEIPT = FieldTable(
    # Published as the shared "Receipt" schema (organise.web.openapi), which reports use too.
    "Receipt",
    (Field("receipt", _l("Receipt"), required=True, max_chars=MAX_RECEIPT_CHARS),),
)

# --- campaigns -------------------------------------------------------------------------------

SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
MAX_SLUG_CHARS = 64
# Addresses the organiser pages use for themselves.
RESERVED_SLUGS = frozenset({"new", "owners"})
MAX_TITLE_CHARS = 200
MAX_DEMAND_CHARS = 10_000
MAX_EMPLOYER_CHARS = 200
MAX_CONTRACT_CHARS = 300
MAX_DEADLINE_CHARS = 64
GATE_MODES = ("server", "server_and_gatekeepers", "any_k_of_n")
# The most gatekeepers a gate may have (crypto.gate; policy.make_policy says which numbers fit).
MAX_GATEKEEPERS = 16


def slug(value: str) -> str:
    value = value.lower()
    if not SLUG_PATTERN.fullmatch(value) or value in RESERVED_SLUGS:
        raise FieldProblem(
            _l(
                "The short name (used in the address) is 2 to 64 characters: lower-case "
                "letters, digits and dashes, starting with a letter or digit."
            ),
            "invalid_slug",
        )
    return value


def parse_deadline(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a time zone it is read as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldProblem(
            _l("The deadline must be a date and time such as 2030-05-01T18:00 (ISO 8601)."),
            "invalid_deadline",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-05:00 is past the last representable moment
        raise FieldProblem(
            _l("The deadline must be in the future and at most three years ahead."),
            "invalid_deadline",
        ) from None


def print_language(values: Mapping[str, Any]) -> str:
    """The language chosen with `PRINTING` (the default one when none was chosen)."""
    return str(values.get("print_language") or DEFAULT_LOCALE)


def translations(value: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The title and demand in the site's other languages, each language given whole."""
    problems: dict[str, str] = {}
    found = written.check_translations(
        problems.setdefault,
        value,
        {"title": MAX_TITLE_CHARS, "demand": MAX_DEMAND_CHARS},
        whole=True,
    )
    if problems:
        # Each message names its place ("translations.fr.demand ..."): the first is enough.
        raise FieldProblem(next(iter(problems.values())), "invalid_translations")
    return {
        given.language: {
            name: text.replace("\r\n", "\n").replace("\r", "\n")
            for name, text in given.texts.items()
        }
        for given in found
    }


TRANSLATIONS = Field(
    "translations",
    _l("Translations"),
    kind="object",
    normalise=translations,
    description="The title and demand in the site's other languages: "
    '{"fr": {"title": "...", "demand": "..."}}. Each language given has both.',
    schema_extra={
        # Language codes (each checked against the site's languages when read).
        "maxProperties": 16,
        "additionalProperties": {
            "type": "object",
            "maxProperties": 2,
            "properties": {
                "title": {"type": "string", "maxLength": MAX_TITLE_CHARS},
                "demand": {"type": "string", "maxLength": MAX_DEMAND_CHARS},
            },
            "required": ["title", "demand"],
            "additionalProperties": False,
        },
    },
)


def _options(name: str, label: Message, sentence: Message, values: tuple[str, ...]) -> Field:
    return Field(
        name,
        label,
        required=True,
        choices=lambda: values,
        message=_l("Choose one of the options for %(label)s.", label=sentence),
        code="invalid",
        schema_extra={"enum": list(values)},
    )


CAMPAIGN = FieldTable(
    "CampaignInput",
    (
        Field("slug", _l("Short name"), required=True, max_chars=MAX_SLUG_CHARS, normalise=slug),
        Field("title", _l("Title"), required=True, max_chars=MAX_TITLE_CHARS),
        Field("demand", _l("Demand"), required=True, max_chars=MAX_DEMAND_CHARS),
        TRANSLATIONS,
        Field("employer", _l("Employer"), max_chars=MAX_EMPLOYER_CHARS),
        Field("contract", _l("Contract"), max_chars=MAX_CONTRACT_CHARS),
        _number("threshold", _l("Threshold"), policy.MIN_THRESHOLD, policy.MAX_THRESHOLD),
        Field(
            "deadline",
            _l("Deadline"),
            required=True,
            max_chars=MAX_DEADLINE_CHARS,
            normalise=parse_deadline,
        ),
        _number(
            "cooling_off_hours",
            _l("Cooling-off period (hours)"),
            0,
            policy.MAX_COOLING_OFF_HOURS,
        ),
        _options(
            "audience",
            _l("Who sees the pledges"),
            _l("who sees the pledges"),
            tuple(a.value for a in Audience),
        ),
        _options(
            "invite_mode",
            _l("Who may sign"),
            _l("who may sign"),
            tuple(m.value for m in InviteMode),
        ),
        _number("onward_invites", _l("Onward invite codes"), 0, policy.MAX_ONWARD_INVITES),
        # Left out: the default (`setup.spec_from_values`).
        _number(
            "invite_depth",
            _l("Invite depth"),
            0,
            policy.MAX_INVITE_DEPTH,
            required=False,
            description="How many times onward codes may chain (default 1).",
        ),
        Field(
            "accept_chain_risk",
            _l("I understand the invite chain risk"),
            kind="boolean",
            description="Needed when one leaked code could add as many pledges as the threshold.",
        ),
        _number(
            "keep_revealed_days",
            _l("Days the revealed lists are kept"),
            policy.MIN_KEEP_REVEALED_DAYS,
            policy.MAX_KEEP_REVEALED_DAYS,
            required=False,
            description="After this many days past the reveal they are destroyed (default 30).",
        ),
        _options(
            "progress_display",
            _l("How progress is shown"),
            _l("how progress is shown"),
            tuple(p.value for p in ProgressDisplay),
        ),
        # Which numbers of gatekeepers a mode allows is checked with the mode (`setup`).
        Field(
            "gate_mode",
            _l("Who must agree"),
            choices=lambda: GATE_MODES,
            message=_l("Choose who must agree before pledges are revealed."),
            code="invalid",
            schema_extra={"enum": list(GATE_MODES)},
        ),
        Field(
            "gatekeepers",
            _l("Gatekeepers"),
            kind="integer",
            minimum=0,
            maximum=MAX_GATEKEEPERS,
            description="Needed unless the gate mode is server (1 to 16 with the server's "
            "share required, 1 to 15 without).",
        ),
        Field(
            "gatekeepers_required",
            _l("Gatekeepers required"),
            kind="integer",
            minimum=0,
            maximum=MAX_GATEKEEPERS,
            description="How many must hand in their shares; needed unless the gate mode is "
            "server.",
        ),
    ),
)

# The organiser's form also asks for the employer, which the command line leaves optional.
CAMPAIGN_PAGE = FieldTable(
    "CampaignForm",
    tuple(
        dataclasses.replace(rule, required=True) if rule.name == "employer" else rule
        for rule in CAMPAIGN.fields
    ),
)

# --- invite codes ----------------------------------------------------------------------------

MAX_BATCH = 500
MAX_BATCH_NAME_CHARS = 100
_BATCH_SIZE_DIGITS = 6


def batch_size(text: str) -> int:
    """How many codes to make, typed into the organiser's form."""
    count = whole_number(text, max_digits=_BATCH_SIZE_DIGITS)
    if count is None or not 1 <= count <= MAX_BATCH:
        raise FieldProblem(
            _l("Generate between 1 and %(n)d codes at a time.", n=MAX_BATCH), "invalid_count"
        )
    return count


INVITES = FieldTable(
    "InvitesForm",
    (
        # Text, not an integer: every problem with the number gets the one sentence above.
        Field("count", _l("Number of codes"), required=True, normalise=batch_size),
        Field("format", _l("Format"), choices=lambda: ("html", "csv")),
        # The team's own label for the batch (never on a slip); empty: no batch.
        Field("batch", _l("Batch name"), max_chars=MAX_BATCH_NAME_CHARS),
    ),
)


# --- operations on a campaign (`operations`, `deadlines`, `invites`) ---------------------------
# Each web form carries a `confirm` box whose label names the consequence.

# The language of what an organiser prints for others (invite slips, gatekeeper sheets); the
# organisers' page around it stays in English. Left empty: the default language.
PRINTING = FieldTable(
    "PrintingForm",
    (
        Field(
            "print_language",
            _l("Language of the printed sheets"),
            choices=lambda: languages(),
            code="unknown_language",
        ),
    ),
)

_CONFIRM = Field("confirm", _l("Confirmation"), kind="boolean")

REVOKE = FieldTable(
    "RevokeForm",
    (
        Field("code", _l("Invite code"), max_chars=MAX_CODE_CHARS),
        Field("batch", _l("Batch name"), max_chars=MAX_BATCH_NAME_CHARS),
        _CONFIRM,
    ),
)
EXTEND = FieldTable(
    "ExtendForm",
    (
        Field(
            "deadline",
            _l("New deadline"),
            required=True,
            max_chars=MAX_DEADLINE_CHARS,
            normalise=parse_deadline,
        ),
        _CONFIRM,
    ),
)
EDIT = FieldTable(
    "EditForm",
    (
        Field("title", _l("Title"), required=True, max_chars=MAX_TITLE_CHARS),
        Field("demand", _l("Demand"), required=True, max_chars=MAX_DEMAND_CHARS),
        TRANSLATIONS,
        _CONFIRM,
    ),
)
CONFIRM = FieldTable("ConfirmForm", (_CONFIRM,))


# --- campaign teams --------------------------------------------------------------------------

MAX_USERNAME_CHARS = 64

TEAM_MEMBER = FieldTable(
    "TeamMemberForm",
    (Field("username", _l("Account name"), required=True, max_chars=MAX_USERNAME_CHARS),),
)

OWNER_ASSIGNMENT = FieldTable(
    "OwnerAssignmentForm",
    (
        Field("slug", _l("Campaign"), required=True, max_chars=MAX_SLUG_CHARS),
        Field(
            "username", _l("New owner's account name"), required=True, max_chars=MAX_USERNAME_CHARS
        ),
    ),
)


# --- how gatekeeper shares are delivered (read from the campaign form) -------------------------

SHARE_DELIVERIES = ("links", "accounts", "paper")
MAX_GATEKEEPER_ACCOUNTS_CHARS = 16 * 66

SHARE_DELIVERY = FieldTable(
    "ShareDelivery",
    (
        Field(
            "share_delivery",
            _l("How the gatekeepers get their shares"),
            choices=lambda: SHARE_DELIVERIES,
            message=_l("Choose how the gatekeepers get their shares."),
            code="invalid",
            description="With gatekeepers: one-time links, sealed to gatekeeper accounts, or "
            "paper sheets shown once (the default).",
            schema_extra={"enum": list(SHARE_DELIVERIES)},
        ),
        Field(
            "gatekeeper_accounts",
            _l("Gatekeeper accounts"),
            max_chars=MAX_GATEKEEPER_ACCOUNTS_CHARS,
            description="For share_delivery accounts: the gatekeeper account names, separated "
            "by commas.",
        ),
    ),
)


# --- the organisers' JSON API (`organiser_api`) ------------------------------------------------
# The same fields and limits as the pages; where a page asks to tick a box because the
# consequence is destructive, the body carries `"confirm": true`.

# A new campaign: the organiser's form, and how the gatekeepers get their shares.
CAMPAIGN_CREATE = FieldTable("CampaignCreate", CAMPAIGN_PAGE.fields + SHARE_DELIVERY.fields)


def _confirmation(consequence: LazyText) -> Field:
    """The `confirm` field of a destructive operation; its description names the consequence."""
    return Field(
        "confirm",
        _l("Confirmation"),
        kind="boolean",
        required=True,
        description=f"Must be true: {consequence.message}",
        schema_extra={"enum": [True]},
    )


def _confirmed(consequence: LazyText) -> Callable[[Mapping[str, Any]], None]:
    def check(values: Mapping[str, Any]) -> None:
        if values.get("confirm") is False:
            raise Refused(
                {"confirm": _l('Send "confirm": true: %(what)s', what=consequence)},
                code="not_confirmed",
            )

    return check


def _exactly_one(*names: str) -> Callable[[Mapping[str, Any]], None]:
    def check(values: Mapping[str, Any]) -> None:
        given = [name for name in names if values.get(name)]
        if len(given) != 1:
            wanted = " or ".join(f'"{name}"' for name in names)
            if given:
                raise Refused(
                    {given[-1]: _l("Send one of %(names)s, not both.", names=wanted)},
                    code="one_of",
                )
            raise Refused({names[0]: _l("Send one of %(names)s.", names=wanted)}, code="one_of")

    return check


_STOP_CONSEQUENCE = _l(
    "every pledge is destroyed unread, for good, and the campaign ends. This cannot be undone."
)
_REVOKE_CONSEQUENCE = _l("whoever holds these codes will no longer be able to sign.")

# Only the wording may change, before the first pledge; the archive flag, once finished.
CAMPAIGN_PATCH = FieldTable(
    "CampaignPatch",
    (
        dataclasses.replace(
            CAMPAIGN["title"], description="Only before the first pledge.", required=False
        ),
        dataclasses.replace(
            CAMPAIGN["demand"], description="Only before the first pledge.", required=False
        ),
        dataclasses.replace(
            TRANSLATIONS,
            description=f"{TRANSLATIONS.description} Only before the first pledge; replaces "
            "every translation ({} removes them).",
        ),
        Field(
            "archived",
            _l("Archived"),
            kind="boolean",
            description="Take a finished campaign off the lists (true) or put it back (false).",
        ),
    ),
)
INVITES_INPUT = FieldTable(
    "InvitesInput",
    (
        _number("count", _l("Number of codes"), 1, MAX_BATCH),
        Field(
            "batch",
            _l("Batch name"),
            max_chars=MAX_BATCH_NAME_CHARS,
            normalise=one_line(_l("Batch name")),
            description="The team's own label, never on a slip; a batch can be revoked whole.",
        ),
    ),
)
REVOKE_INPUT = FieldTable(
    "RevokeInput",
    (
        Field(
            "codes",
            _l("Invite codes"),
            kind="list",
            max_chars=MAX_CODE_CHARS,
            max_items=MAX_BATCH,
            description="Codes to revoke (or send batch instead).",
        ),
        Field(
            "batch",
            _l("Batch name"),
            max_chars=MAX_BATCH_NAME_CHARS,
            description="A batch to revoke whole (or send codes instead).",
        ),
        _confirmation(_REVOKE_CONSEQUENCE),
    ),
    checks=(_exactly_one("codes", "batch"), _confirmed(_REVOKE_CONSEQUENCE)),
)
STOP_INPUT = FieldTable(
    "StopInput", (_confirmation(_STOP_CONSEQUENCE),), checks=(_confirmed(_STOP_CONSEQUENCE),)
)
EXTEND_INPUT = FieldTable(
    "ExtendInput",
    (
        dataclasses.replace(
            EXTEND["deadline"],
            description="ISO 8601 (UTC without a zone); later than the current deadline, at "
            "least 24 hours from now, at most three years ahead. Pledges signed so far keep "
            "their own deadline unless their signers opt in, and are destroyed at it.",
        ),
    ),
)
TEAM_CHANGE = FieldTable(
    "TeamChange",
    (
        Field(
            "add",
            _l("Account to add"),
            max_chars=MAX_USERNAME_CHARS,
            description="An enrolled organiser or admin account (the owner only).",
        ),
        Field(
            "remove",
            _l("Account to remove"),
            max_chars=MAX_USERNAME_CHARS,
            description="A co-organiser (the owner only).",
        ),
    ),
    checks=(_exactly_one("add", "remove"),),
)
