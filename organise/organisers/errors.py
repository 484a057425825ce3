"""Reasons an account action is refused, each with a message fit to show the person."""

from __future__ import annotations

from datetime import timedelta

from organise.i18n import _


class AccountError(ValueError):
    """A readable reason an account action was refused."""


class PassphraseRejected(AccountError):
    """The passphrase breaks a rule; the message says which."""


class LoginFailed(AccountError):
    def __init__(self) -> None:
        super().__init__(_("That account name, passphrase or code is not right."))


class LoginThrottled(AccountError):
    def __init__(self, wait: timedelta) -> None:
        minutes = max(1, int(wait.total_seconds() + 59) // 60)
        super().__init__(
            _("Too many failed sign-ins for this account. Try again in %(n)d minute(s).")
            % {"n": minutes}
        )


class KdfBusy(AccountError):
    def __init__(self) -> None:
        super().__init__(
            _("Too many sign-ins are being checked at once. Please try again in a minute.")
        )
