"""Who a request is signed in as, for the access rules (`organise.web.access`): the account of
the browser session a cookie names, or of an API token; never a disabled account. The app
installs `SIGN_INS`."""

from __future__ import annotations

from organise.organisers.sessions import SessionPolicy, resume_session
from organise.organisers.tokens import organiser_for_token
from organise.runtime import Runtime
from organise.web.access import SignedIn, SignIns


async def _by_session(token: str, context: Runtime) -> SignedIn | None:
    session = await resume_session(
        token,
        secret_key=context.secret_key,
        policy=SessionPolicy.from_settings(context.settings),
    )
    if session is not None and session.organiser.disabled:
        # Disabling ends its sessions; this one was resumed at that very moment.
        await session.delete()
        session = None
    return None if session is None else SignedIn(session.organiser, session)


async def _by_api_token(token: str, context: Runtime) -> SignedIn | None:
    organiser = await organiser_for_token(token, secret_key=context.secret_key)
    return None if organiser is None or organiser.disabled else SignedIn(organiser)


SIGN_INS = SignIns(by_session=_by_session, by_api_token=_by_api_token)
