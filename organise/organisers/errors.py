"""Reasons an account action is refused, each with a message fit to show the person.

Each is a `Refused`, so the web layer answers them like any other refusal. They are classes of
their own only because callers catch them by name: a campaign command catches `AccountError`
from `normalise_username`, the CLI's passphrase prompt `PassphraseRejected`.
"""

from __future__ import annotations

from collections.abc import Mapping

from organise.i18n import Message, _l
from organise.refusal import WHOLE_REQUEST, Refused


class AccountError(Refused):
    """A readable reason an account action was refused: a 400 unless a subclass says."""

    def __init__(
        self,
        message: Message,
        *,
        field: str = WHOLE_REQUEST,
        code: str = "account_refused",
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__({field: message}, status=status, code=code, headers=headers)


class PassphraseRejected(AccountError):
    """The passphrase breaks a rule; the message says which."""

    def __init__(self, message: Message, *, field: str = "passphrase") -> None:
        super().__init__(message, field=field, code="passphrase_rejected")


class LoginFailed(AccountError):
    # Deliberately about the whole request: which part was wrong is not said.
    def __init__(self) -> None:
        super().__init__(
            _l("That account name, passphrase or code is not right."), code="login_failed"
        )


class AccountDisabled(AccountError):
    def __init__(self) -> None:
        super().__init__(
            _l("This account is disabled. Ask an admin of this site to enable it again."),
            code="account_disabled",
            status=403,
        )


class KdfBusy(AccountError):
    """Too many passphrase checks are running or waiting: try again in a few seconds.

    429: nothing is wrong with the request, but the server takes no more of this kind for now.
    """

    def __init__(self, seconds: int) -> None:
        super().__init__(
            _l(
                "Too many passphrases are being checked at once. Please try again in "
                "%(n)d seconds.",
                n=seconds,
            ),
            code="busy",
            status=429,
            headers={"Retry-After": str(seconds)},
        )
