"""The fields of organiser accounts: creating one, signing in, two-step sign-in, API tokens.

Each form (and `organise organiser create`, `organise token create`) reads its values through
one of these tables. Rules that need the database or another field (an account name already
taken, a passphrase containing the account name, whether a passphrase is right) stay in
`accounts`, which raises an `AccountError` keyed by the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from organise.fields import Field, FieldProblem, FieldTable
from organise.i18n import Message, _l
from organise.organisers.accounts import normalise_username
from organise.organisers.errors import AccountError
from organise.organisers.passphrases import check_passphrase, check_passphrase_length
from organise.roles import Role

# The database columns' sizes.
MAX_USERNAME_CHARS = 64
MAX_TOKEN_NAME_CHARS = 64
# A six-digit code with room for the spaces some apps show in it, or a recovery code
# (16 characters in groups of four).
MAX_CODE_CHARS = 32
MAX_SECRET_CHARS = 64

T = TypeVar("T")


def _as_field_rule(rule: Callable[[str], T]) -> Callable[[str], T]:
    """An account rule as a normaliser: its refusal is collected with the other fields'."""

    def checked(value: str) -> T:
        try:
            return rule(value)
        except AccountError as refusal:
            reason = next(iter(refusal.errors.values()))
            raise FieldProblem(reason, refusal.code, refusal.status) from None

    return checked


@dataclass(frozen=True)
class AccountText(Field):
    """Text in the account forms: a 400 whatever is wrong with it, as these forms always were.

    (The shared default answers an over-long value 422.)
    """

    def read(self, value: object, *, from_form: bool = False) -> Any:
        try:
            return super().read(value, from_form=from_form)
        except FieldProblem as problem:
            raise FieldProblem(problem.message, problem.code, 400) from None


@dataclass(frozen=True)
class Passphrase(Field):
    """A passphrase exactly as typed: every character counts, so nothing is stripped.

    Only the passphrase rules (`normalise`) apply, to every value, the empty one included:
    the generic text checks do not. They run long before any hashing.
    """

    def read(self, value: object, *, from_form: bool = False) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise FieldProblem(_l("%(label)s must be text.", label=self.label), "invalid_field")
        return self.normalise(value) if self.normalise is not None else value


def _checkable(passphrase: str) -> str:
    # Any passphrase may be tried, if it is short enough to be worth hashing.
    check_passphrase_length(passphrase)
    return passphrase


def _acceptable_new(passphrase: str) -> str:
    # The account name rule needs the name: `accounts` checks it too, with the name.
    check_passphrase(passphrase)
    return passphrase


def _passphrase(name: str, label: Message, rule: Callable[[str], str]) -> Passphrase:
    return Passphrase(name, label, normalise=_as_field_rule(rule))


ACCOUNT = FieldTable(
    "OrganiserAccount",
    (
        Field(
            "username",
            _l("Account name"),
            required=True,
            max_chars=MAX_USERNAME_CHARS,
            normalise=_as_field_rule(normalise_username),
        ),
        Field(
            "role",
            _l("Role"),
            required=True,
            choices=lambda: [role.value for role in Role],
            normalise=Role,
        ),
        _passphrase("passphrase", _l("Passphrase"), _acceptable_new),
    ),
)

# An account made with an enrolment code: its holder chooses the passphrase later.
PENDING_ACCOUNT = FieldTable("PendingOrganiserAccount", ACCOUNT.fields[:2])

SIGN_IN = FieldTable(
    "SignIn",
    (
        # Not checked against the account name rules: any mistake reads "not right" (LoginFailed).
        AccountText("username", _l("Account name"), max_chars=MAX_USERNAME_CHARS),
        _passphrase("passphrase", _l("Passphrase"), _checkable),
        AccountText("totp_code", _l("Code"), max_chars=MAX_CODE_CHARS),
    ),
)

PASSPHRASE_CHANGE = FieldTable(
    "PassphraseChange",
    (
        _passphrase("new_passphrase", _l("New passphrase"), _acceptable_new),
        _passphrase("current_passphrase", _l("Current passphrase"), _checkable),
    ),
)

# Turning two-step sign-in off.
PASSPHRASE_CONFIRMATION = FieldTable(
    "PassphraseConfirmation", (_passphrase("passphrase", _l("Passphrase"), _checkable),)
)

TOTP_ENROLMENT = FieldTable(
    "TotpEnrolment",
    (
        AccountText("secret", _l("Secret"), max_chars=MAX_SECRET_CHARS),
        AccountText("code", _l("Code"), max_chars=MAX_CODE_CHARS),
        _passphrase("passphrase", _l("Passphrase"), _checkable),
    ),
)

API_TOKEN = FieldTable(
    "ApiTokenName",
    (AccountText("name", _l("Token name"), max_chars=MAX_TOKEN_NAME_CHARS),),
)

# Redeeming an enrolment code on the sign-in page. The code's format is checked by `enrolment`
# (any mistake there reads the same as an unknown code).
MAX_ENROLMENT_CODE_CHARS = 64

ENROLMENT = FieldTable(
    "Enrolment",
    (
        AccountText("code", _l("Enrolment code"), max_chars=MAX_ENROLMENT_CODE_CHARS),
        AccountText("username", _l("Account name"), max_chars=MAX_USERNAME_CHARS),
        _passphrase("passphrase", _l("New passphrase"), _checkable),
        _passphrase("repeated", _l("New passphrase again"), _checkable),
        # Asked by a reset of an account with two-step sign-in: its code or a recovery code.
        AccountText(
            "second_factor", _l("Two-step code or recovery code"), max_chars=MAX_CODE_CHARS
        ),
    ),
)

# Releasing a gatekeeper share held by the account: the passphrase again, and the second
# factor when the account has one.
SHARE_RELEASE = FieldTable(
    "ShareRelease",
    (
        _passphrase("passphrase", _l("Passphrase"), _checkable),
        AccountText("totp_code", _l("Code"), max_chars=MAX_CODE_CHARS),
    ),
)

# Turning two-step sign-in's recovery codes over: the passphrase again.
RECOVERY_CODES = FieldTable(
    "RecoveryCodes", (_passphrase("passphrase", _l("Passphrase"), _checkable),)
)

# An admin's operations on accounts (the accounts page and /api/v1/organiser/accounts).
# A gatekeeper account stays one (`people.change_role`), so it is not a role to change to.
CHANGEABLE_ROLE_VALUES = tuple(role.value for role in Role if role != Role.GATEKEEPER)

ROLE_CHANGE = FieldTable(
    "RoleChange",
    (
        Field(
            "role",
            _l("Role"),
            required=True,
            choices=lambda: CHANGEABLE_ROLE_VALUES,
            normalise=Role,
            schema_extra={"enum": list(CHANGEABLE_ROLE_VALUES)},
        ),
    ),
)


def _removal(name: str, refusal: Message) -> FieldTable:
    """The removal's one field, `confirm`, refused with `refusal` unless it is yes."""

    def confirmed(yes: bool) -> bool:
        if not yes:
            raise FieldProblem(refusal, "not_confirmed", 400)
        return yes

    return FieldTable(
        name,
        (
            Field(
                "confirm",
                _l("Yes, remove this account"),
                kind="boolean",
                # A yes/no is never "missing" (an unticked box is no); `confirmed` refuses a no.
                required=True,
                normalise=confirmed,
                description="Must be true: removing an account cannot be undone.",
            ),
        ),
    )


# The accounts page asks for a ticked box; an API client has no box, so it is told what to send.
REMOVAL = _removal("AccountRemovalForm", _l("Tick the box to confirm the removal."))
REMOVAL_API = _removal(
    "AccountRemoval",
    _l('"confirm": true is required to remove an account: a removal cannot be undone.'),
)
