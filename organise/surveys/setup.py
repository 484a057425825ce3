"""Creating a survey from its definition, and changing a definition before the first answer.

At creation the server makes the survey's two arrival key pairs (crypto.ballots): the public
halves go in the survey row, the private halves in the keystore, before the row is committed
(and are deleted again if it is not). Once the first answer is in, the parts of the definition
that shape the counting (`definition.COUNTING_FIELDS`) are fixed: only the title, the
introduction, the closing time and the retention of the texts can change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto import ballots
from crypto.keystore import Keystore
from organise.i18n import _
from organise.organisers import teams
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.surveys import keys, team
from organise.surveys.definition import Definition
from organise.surveys.models import Survey, SurveyMember, SurveyResponse, SurveyState


def slug_taken(slug: str) -> Refused:
    return Refused(
        {"slug": _("A survey with the address %(slug)s already exists.") % {"slug": slug}},
        status=409,
        code="slug_taken",
    )


async def create_survey(
    definition: Definition, *, owner_username: str, keystore: Keystore
) -> Survey:
    """Store a checked definition as a new open survey owned by `owner_username`."""
    owner = await team.team_account(owner_username, field="owner")
    members = await team.accounts(definition.team, owner)
    if await Survey.exists(slug=definition.slug):
        raise slug_taken(definition.slug)
    tally_public, tally_private = ballots.new_key_pair()
    text_public, text_private = ballots.new_key_pair()
    survey = Survey(
        slug=definition.slug,
        title=definition.title,
        intro=definition.intro,
        closes_at=definition.closes_at,
        k=definition.k,
        invite_mode=definition.invite_mode,
        onward_invites=definition.onward_invites,
        invite_depth=definition.invite_depth,
        questions=definition.questions_json(),
        translations=definition.translations,
        tally_public_key=tally_public,
        text_public_key=text_public,
        keep_texts_days=definition.keep_texts_days,
        owner_id=owner.id,
        state=SurveyState.OPEN,
    )
    names = {keys.tally_key(survey.id): tally_private, keys.text_key(survey.id): text_private}
    await keys.in_thread(keystore.put_many, names)
    try:
        async with in_transaction() as connection:
            await survey.save(using_db=connection, force_create=True)
            for member in members:
                await SurveyMember.create(
                    survey_id=survey.id, organiser_id=member.id, using_db=connection
                )
    except IntegrityError:
        await keys.delete_names(keystore, names)
        raise slug_taken(definition.slug) from None
    except BaseException:
        await keys.delete_names(keystore, names)
        raise
    return survey


def definition_file(survey: Survey) -> dict[str, Any]:
    """The stored definition as the JSON file holds it (the team is changed on its own)."""
    return {
        "slug": survey.slug,
        "title": survey.title,
        "intro": survey.intro,
        "closes_at": survey.closes_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "k": survey.k,
        "invite_mode": survey.invite_mode.value,
        "onward_invites": survey.onward_invites,
        "invite_depth": survey.invite_depth,
        "keep_texts_days": survey.keep_texts_days,
        "questions": survey.questions,
        **({"translations": survey.translations} if survey.translations else {}),
    }


def _counting(survey: Survey) -> dict[str, object]:
    return {
        "questions": survey.questions,
        "k": survey.k,
        "invite_mode": survey.invite_mode.value,
        "onward_invites": survey.onward_invites,
        "invite_depth": survey.invite_depth,
    }


async def _same_team(survey: Survey, named: tuple[str, ...]) -> None:
    """Refuse a definition naming a team other than the survey's: the team changes on its own
    (the survey's page, `organise survey team`), and a list silently left unapplied would let
    its owner believe someone was added or removed. A file naming the team as it is passes."""
    if not named:
        return
    owner_id = teams.owner_id(survey)
    owner = await Organiser.get_or_none(id=owner_id) if owner_id else None
    wanted = set(named) - {owner.username} if owner else set(named)
    if wanted != set(await team.member_names(survey)):
        raise Refused(
            {
                "team": _(
                    "The team is not changed by a new definition: add or remove co-organisers "
                    "on the survey's page (or with organise survey team add|remove), or leave "
                    "team out."
                )
            },
            code="team_elsewhere",
        )


async def redefine(
    survey: Survey, definition: Definition, *, acting: Organiser | None, now: datetime | None = None
) -> Survey:
    """Replace an open survey's definition (its slug stays). Refused, once an answer is in, for
    any change to what shapes the counting; the team is changed by its owner only."""
    now = now or datetime.now(UTC)
    if acting is not None:
        await team.require_team(survey, acting)
    if survey.state != SurveyState.OPEN or survey.closes_at <= now:
        raise Refused(
            _("This survey is closed: its definition can no longer change."),
            status=409,
            code="survey_closed",
        )
    if definition.slug != survey.slug:
        raise Refused({"slug": _("A survey's address cannot change.")}, code="slug_fixed")
    await _same_team(survey, definition.team)
    wanted = {
        "questions": definition.questions_json(),
        "k": definition.k,
        "invite_mode": definition.invite_mode.value,
        "onward_invites": definition.onward_invites,
        "invite_depth": definition.invite_depth,
    }
    current = _counting(survey)
    changed = [name for name in wanted if wanted[name] != current[name]]
    async with in_transaction() as connection:
        # Locks the survey row: an answer committing meanwhile waits, or is seen below.
        locked = (
            await Survey.filter(id=survey.id, state=SurveyState.OPEN)
            .select_for_update()
            .using_db(connection)
            .first()
        )
        if locked is None:
            raise Refused(
                _("This survey is closed: its definition can no longer change."),
                status=409,
                code="survey_closed",
            )
        if (
            changed
            and await SurveyResponse.filter(survey_id=survey.id).using_db(connection).exists()
        ):
            raise Refused(
                {
                    name: _(
                        "Answers are already in: %(field)s shapes how they are counted and can "
                        "no longer change."
                    )
                    % {"field": name}
                    for name in changed
                },
                status=409,
                code="answers_in",
            )
        await (
            Survey.filter(id=survey.id)
            .using_db(connection)
            .update(
                title=definition.title,
                intro=definition.intro,
                closes_at=definition.closes_at,
                keep_texts_days=definition.keep_texts_days,
                translations=definition.translations,
                **{name: wanted[name] for name in changed},
                **({"definition_version": F("definition_version") + 1} if changed else {}),
            )
        )
    return await Survey.get(id=survey.id)
