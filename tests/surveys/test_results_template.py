"""The results macros (templates/surveys/_results.html) rendered with the app's Jinja
environment: SVG charts beside tables, hidden counts all alike, labels passed in and escaped."""

from __future__ import annotations

import re

from organise.surveys.tables import CountedQuestion, Released, release
from organise.web.templating import templates

UNIT = CountedQuestion("unit", "choice", ("infra", "ads"), crosstab=True, required=True)
ACT = CountedQuestion("act_if", "threshold", ("5", "10", "25"), required=True)
TITLES = {"unit": "Where do you work?", "act_if": "I would act if at least N did"}
LABELS = {"unit": {"infra": "Infrastructure <team>", "ads": "Advertising"}}


def render(released: Released, k: int = 5, labels=LABELS) -> str:
    template = templates().env.from_string(
        '{% from "surveys/_results.html" import results %}'
        "{{ results(released, k, titles, labels) }}"
    )
    return template.render(released=released, k=k, titles=TITLES, labels=labels)


def survey() -> Released:
    answers = (
        [{"unit": "infra", "act_if": 5}] * 14
        + [{"unit": "infra", "act_if": 25}] * 9
        + [{"unit": "ads", "act_if": 10}] * 2
        + [{"unit": "ads", "act_if": 25}] * 12
        + [{"unit": "ads", "act_if": 5}] * 6
    )
    return release([UNIT, ACT], answers, k=5)


def test_each_question_has_a_chart_and_a_table_of_the_same_numbers():
    released = survey()
    html = render(released)
    assert "43 responses were counted." in html
    assert html.count("<svg") == 4  # unit, act_if, its curve, the crosstab
    assert html.count("<table") == 4
    assert 'role="img"' in html
    assert "<script" not in html
    assert "style=" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    unit = released.question("unit")
    assert unit is not None
    for count in unit.counts.values():
        if count is not None:
            assert f'<td class="number">{count}</td>' in html
    assert "How many would act if N coworkers did" in html
    assert "I would act if at least N did, by Where do you work?" in html


def test_labels_are_the_ones_passed_in_and_escaped():
    html = render(survey())
    assert "Infrastructure &lt;team&gt;" in html
    assert "<team>" not in html
    assert "Advertising" in html
    # A question or option without a label reads its id.
    assert ">25<" in html


def test_a_hidden_count_reads_the_same_word_whatever_it_hides():
    released = survey()
    html = render(released)
    crosstab = released.crosstabs[0].counts
    assert crosstab["ads"]["10"] is None  # 2 people
    cells = re.findall(r'<td class="number">([^<]*)</td>', html)
    hidden = [cell for cell in cells if not cell.isdigit()]
    assert hidden
    assert set(hidden) == {"hidden"}
    assert "fewer than 5 answers, or hidden so that a count under 5 cannot be worked out" in html
    # No bar is drawn to a hidden count's size: its mark is the same small box every time.
    boxes = re.findall(r'<rect class="bar-hidden" [^>]*width="(\d+)"', html)
    assert boxes
    assert set(boxes) == {"12"}


def test_too_few_answers_shows_no_count_at_all():
    released = release([UNIT, ACT], [{"unit": "infra", "act_if": 5}] * 4, k=5)
    html = render(released)
    assert "Too few answers to show" in html
    assert "<svg" not in html
    assert not re.search(r">\s*\d+\s*<", html.replace(">5<", "")), "a count leaked"
