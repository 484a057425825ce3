import re

import pytest

from crypto.gate import GatePolicy, deal_gate
from crypto.qr import share_qr_svg


@pytest.fixture(scope="module")
def share():
    return deal_gate(GatePolicy("server_and_gatekeepers", 2, 2)).gatekeeper_shares[0]


def test_svg_is_safe_to_inline_under_a_strict_csp(share):
    svg = share_qr_svg(share)
    assert svg.startswith("<svg ")
    assert svg.rstrip().endswith("</svg>")
    lowered = svg.lower()
    assert "<?xml" not in lowered
    assert "<script" not in lowered
    assert "style=" not in lowered
    assert "<style" not in lowered
    assert "href" not in lowered
    assert not re.search(r"\bon[a-z]+=", lowered)  # no event handlers
    urls = re.findall(r"https?://[^\"' ]+", svg)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}


def test_svg_is_labelled_for_assistive_technology(share):
    svg = share_qr_svg(share)
    assert 'role="img"' in svg
    assert "aria-label=" in svg
    assert "<title>" in svg


def test_different_shares_give_different_codes(share):
    other = deal_gate(GatePolicy("server")).server_share
    assert share_qr_svg(share) != share_qr_svg(other)
    assert share_qr_svg(share) == share_qr_svg("  " + share.upper())


def test_empty_share_is_refused():
    with pytest.raises(ValueError, match="empty"):
        share_qr_svg("   ")
