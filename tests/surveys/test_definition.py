"""The definition: checked whole, and fixed (what shapes the counting) once an answer is in."""

from __future__ import annotations

import pytest

from organise.i18n import written
from organise.refusal import Refused
from organise.surveys import definition, setup, team
from organise.surveys.models import Survey
from tests.support import campaign_owner
from tests.surveys.conftest import QUESTIONS, answered, in_days, make_survey, survey_file


def _problems(raw: object) -> dict[str, str]:
    with pytest.raises(Refused) as refused:
        definition.check(raw)
    return refused.value.field_messages()


def test_a_good_definition_reads_back_as_written():
    checked = definition.check(survey_file())
    assert checked.slug == "cloud-2027"
    assert checked.k == 3
    assert checked.questions_json()[0] == {**QUESTIONS[0]}
    assert [q.counted().options for q in checked.questions[2:4]] == [
        ("1", "2", "3", "4", "5"),
        ("3", "5", "10"),
    ]


def test_every_problem_is_listed_at_once():
    found = _problems(
        survey_file(
            slug="responses",
            title="",
            k=True,
            invite_mode="public",
            extra=1,
            questions=[
                {"id": "receipt", "type": "choice", "text": "?", "options": ["a", "b"]},
                {"id": "b", "type": "multi", "text": "?", "options": [], "min": 1},
                {"id": "c", "type": "threshold", "text": "?", "options": [5, 5]},
                "not a question",
            ],
        )
    )
    for place in (
        "slug",
        "title",
        "k",
        "invite_mode",
        "extra",
        "questions[0].id",
        "questions[1].options",
        "questions[1].min",
        "questions[2].options",
        "questions[3]",
    ):
        assert place in found, place


def test_onward_codes_that_could_reach_k_are_refused():
    found = _problems(survey_file(k=5, onward_invites=2, invite_depth=2))  # 1 + 2 + 4 = 7
    assert "onward_invites" in found
    definition.check(survey_file(k=5, onward_invites=1, invite_depth=3))  # 1 + 1 + 1 + 1 = 4


def test_only_counted_questions_make_a_survey_and_only_choices_are_units():
    assert "questions" in _problems(
        survey_file(questions=[{"id": "t", "type": "text", "text": "?", "max_length": 10}])
    )
    assert "questions[0].crosstab" in _problems(
        survey_file(
            questions=[
                {"id": "s", "type": "scale", "text": "?", "min": 1, "max": 3, "crosstab": True}
            ]
        )
    )


async def test_once_an_answer_is_in_the_counting_cannot_change(app, client):
    survey = await make_survey(app)
    later = definition.check(survey_file(k=4, title="Renamed"))
    changed = await setup.redefine(survey, later, acting=None)
    assert changed.k == 4
    await answered(app, client, changed, {"unit": "Infra"})
    with pytest.raises(Refused) as refused:
        await setup.redefine(changed, definition.check(survey_file(k=5)), acting=None)
    assert refused.value.code == "answers_in"
    assert "k" in refused.value.errors
    # What does not shape the counting still can.
    kept = await setup.redefine(
        changed,
        definition.check(
            survey_file(k=4, title="Renamed again", closes_at=in_days(20).isoformat())
        ),
        acting=None,
    )
    assert kept.title == "Renamed again"
    assert (await Survey.get(id=survey.id)).k == 4


async def test_a_new_definition_naming_another_team_is_refused_not_silently_dropped(app, client):
    await campaign_owner("sam")
    await campaign_owner("kim")
    survey = await make_survey(app, team=["sam"])
    # Someone removed from the file is still on the team: refused, nothing changed.
    for named in (["kim"], ["sam", "kim"]):
        with pytest.raises(Refused) as refused:
            await setup.redefine(
                survey, definition.check(survey_file(team=named, title="Renamed")), acting=None
            )
        assert refused.value.code == "team_elsewhere"
        assert "team" in refused.value.errors
    assert (await Survey.get(id=survey.id)).title == "The cloud contract"
    # The team as it is (the owner named or not), or no team at all, passes.
    for named in (["sam"], [" Sam "], ["alex", "sam"], []):
        kept = await setup.redefine(
            survey, definition.check(survey_file(team=named, title=f"Renamed {named}")), acting=None
        )
        assert kept.title == f"Renamed {named}"
    assert await team.member_names(survey) == ["sam"]


def test_options_are_identifiers_with_labels_and_plain_strings_still_read():
    unit = {
        **QUESTIONS[0],
        "options": [{"id": "infra", "label": "Infrastructure"}, "Ads"],
    }
    checked = definition.check(survey_file(questions=[unit, *QUESTIONS[1:]]))
    question = checked.questions[0]
    assert question.options == ("infra", "Ads")  # what answers carry and counts are keyed by
    assert question.counted().options == ("infra", "Ads")
    assert [question.label(o) for o in question.options] == ["Infrastructure", "Ads"]
    # Stored as written: a plain string stays a plain string (surveys made before read alike).
    assert checked.questions_json()[0]["options"] == unit["options"]
    assert definition.questions_of(checked.questions_json()) == checked.questions
    old = definition.questions_of([QUESTIONS[0]])[0]
    assert old.options == ("Infra", "Ads")
    assert old.label("Infra") == "Infra"


def test_translations_name_only_known_ids_and_languages_with_every_problem_listed(monkeypatch):
    monkeypatch.setattr(written, "languages", lambda: ("en", "fr"))
    unit = {**QUESTIONS[0], "options": [{"id": "infra", "label": "Infrastructure"}, "Ads"]}
    questions = [unit, *QUESTIONS[1:]]
    good = {
        "fr": {
            "title": "Le contrat cloud",
            "questions": {
                "unit": {"text": "Où travaillez-vous ?", "options": {"infra": "Infrastructures"}}
            },
        }
    }
    checked = definition.check(survey_file(questions=questions, translations=good))
    assert checked.translations == good
    found = _problems(
        survey_file(
            questions=questions,
            translations={
                "de": {"title": "Der Vertrag"},
                "en": {"title": "The file's own language"},
                "fr": {
                    "title": "x" * 201,
                    "colour": "bleu",
                    "questions": {
                        "nope": {"text": "?"},
                        "unit": {"options": {"Infra": "ancien nom", "infra": "y" * 101}},
                        "ready": {"options": {"1": "un"}},
                    },
                },
            },
        )
    )
    for place in (
        "translations.?",  # de and en: not other languages of the site
        "translations.fr.title",
        "translations.fr.?",
        "translations.fr.questions.?",
        "translations.fr.questions.unit.options.Infra",
        "translations.fr.questions.unit.options.infra",
        "translations.fr.questions.ready.options",
    ):
        assert place in found, (place, found)
    assert "only" in found["translations.?"]
    assert "fr" in found["translations.?"]


def test_with_no_other_language_yet_any_translation_is_refused(monkeypatch):
    monkeypatch.setattr(written, "languages", lambda: ("en",))
    found = _problems(survey_file(translations={"fr": {"title": "Le contrat"}}))
    assert "translations.?" in found
