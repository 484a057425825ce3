import nacl.public
import nacl.utils
import pytest
import shamir_mnemonic
from hypothesis import given, settings
from hypothesis import strategies as st
from shamir_mnemonic.wordlist import WORDLIST

from crypto.envelope import open_pledge, seal_pledge
from crypto.errors import ShareError
from crypto.gate import (
    GatePolicy,
    can_recover,
    deal_gate,
    inspect_share,
    recover_private_key,
)
from tests.crypto.forgery import forged_share

GATE_SETTINGS = settings(deadline=None, max_examples=120)


@st.composite
def policies(draw):
    mode = draw(st.sampled_from(["server", "server_and_gatekeepers", "any_k_of_n"]))
    if mode == "server":
        return GatePolicy("server")
    if mode == "server_and_gatekeepers":
        n = draw(st.integers(min_value=1, max_value=7))
        k = 1 if n == 1 else draw(st.integers(min_value=2, max_value=n))
        return GatePolicy(mode, gatekeepers=n, threshold=k)
    n = draw(st.integers(min_value=1, max_value=7))
    k = draw(st.integers(min_value=2, max_value=n + 1))
    return GatePolicy(mode, gatekeepers=n, threshold=k)


def holders(dealt):
    """Every share, the server's first: position 0 is the server."""
    return [dealt.server_share, *dealt.gatekeeper_shares]


def qualifies(policy, chosen):
    """Independent oracle of who may open the gate (positions as in ``holders``)."""
    server = 0 in chosen
    gatekeepers = len(chosen - {0})
    if policy.mode == "server":
        return server
    if policy.mode == "server_and_gatekeepers":
        return server and gatekeepers >= policy.threshold
    return len(chosen) >= policy.threshold


def minimal_set(policy):
    if policy.mode == "server":
        return [0]
    if policy.mode == "server_and_gatekeepers":
        return [0, *range(1, policy.threshold + 1)]
    return [*range(1, policy.threshold), 0]


def recover(dealt, shares):
    return recover_private_key(shares, identifier=dealt.identifier, public_key=dealt.public_key)


# -- policies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "description"),
    [
        (GatePolicy("server"), "the server alone"),
        (GatePolicy("server_and_gatekeepers", 1, 1), "the server and the gatekeeper"),
        (GatePolicy("server_and_gatekeepers", 3, 2), "the server and 2 of 3 gatekeepers"),
        (GatePolicy("server_and_gatekeepers", 3, 3), "the server and all 3 gatekeepers"),
        (GatePolicy("any_k_of_n", 3, 2), "any 2 of 4 share holders"),
    ],
)
def test_required_description(policy, description):
    assert policy.required_description().startswith(description)


@pytest.mark.parametrize(
    ("mode", "gatekeepers", "threshold", "words"),
    [
        ("server", 1, 1, "no gatekeepers"),
        ("server", 0, 2, "no gatekeepers"),
        ("server_and_gatekeepers", 0, 1, "between 1 and 16"),
        ("server_and_gatekeepers", 17, 2, "between 1 and 16"),
        ("server_and_gatekeepers", 3, 4, "between 1 and 3"),
        ("server_and_gatekeepers", 3, 0, "between 1 and 3"),
        ("server_and_gatekeepers", 3, 1, "SLIP-39"),
        ("any_k_of_n", 0, 2, "between 1 and 15"),
        ("any_k_of_n", 16, 2, "between 1 and 15"),
        ("any_k_of_n", 3, 1, "SLIP-39"),
        ("any_k_of_n", 3, 5, "between 2 and 4"),
        ("majority", 3, 2, "Unknown gate mode"),
    ],
)
def test_invalid_policies_are_refused_with_a_readable_message(mode, gatekeepers, threshold, words):
    with pytest.raises(ValueError, match=words):
        GatePolicy(mode, gatekeepers=gatekeepers, threshold=threshold)


def test_largest_policies_deal():
    for policy in (GatePolicy("server_and_gatekeepers", 16, 16), GatePolicy("any_k_of_n", 15, 16)):
        dealt = deal_gate(policy)
        assert recover(dealt, holders(dealt)).public_key.encode() == dealt.public_key


# -- dealing ---------------------------------------------------------------------------------


def test_deal_gives_one_share_per_gatekeeper_and_keeps_them_out_of_repr():
    dealt = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=4, threshold=3))
    assert len(dealt.gatekeeper_shares) == 4
    assert len(set(holders(dealt))) == 5
    assert len(dealt.public_key) == 32
    assert 0 <= dealt.identifier < 2**15
    assert dealt.server_share not in repr(dealt)
    assert all(share not in repr(dealt) for share in dealt.gatekeeper_shares)


def test_share_info_names_group_and_member():
    b = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2))
    assert inspect_share(b.server_share, identifier=b.identifier).group_index == 0
    infos = [inspect_share(s, identifier=b.identifier) for s in b.gatekeeper_shares]
    assert [(i.group_index, i.member_index) for i in infos] == [(1, 0), (1, 1), (1, 2)]
    assert {(i.group_threshold, i.group_count, i.member_threshold) for i in infos} == {(2, 2, 2)}

    c = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=2))
    assert inspect_share(c.server_share, identifier=c.identifier).member_index == 0
    assert [
        inspect_share(s, identifier=c.identifier).member_index for s in c.gatekeeper_shares
    ] == [
        1,
        2,
        3,
    ]


def test_recovered_key_opens_pledges_sealed_to_the_campaign():
    dealt = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2))
    sealed = seal_pledge(
        {"x": "y"}, campaign_public_key=dealt.public_key, campaign_id="c", pledge_id="p"
    )
    key = recover(
        dealt, [dealt.gatekeeper_shares[2], dealt.server_share, dealt.gatekeeper_shares[0]]
    )
    assert open_pledge(
        sealed.envelope,
        pledge_key=sealed.pledge_key,
        campaign_private_key=key,
        campaign_id="c",
        pledge_id="p",
    ) == {"x": "y"}


# -- recovery: which sets qualify ------------------------------------------------------------


@GATE_SETTINGS
@given(policy=policies(), data=st.data())
def test_a_set_of_shares_opens_the_gate_exactly_when_it_qualifies(policy, data):
    dealt = deal_gate(policy)
    everyone = holders(dealt)
    chosen = data.draw(st.lists(st.sampled_from(range(len(everyone))), unique=True, min_size=1))
    shares = [everyone[i] for i in chosen]
    assert can_recover(shares, identifier=dealt.identifier) == qualifies(policy, set(chosen))
    if qualifies(policy, set(chosen)):
        assert recover(dealt, shares).public_key.encode() == dealt.public_key
    else:
        with pytest.raises(ShareError) as excinfo:
            recover(dealt, shares)
        assert excinfo.value.reason == "insufficient"
        assert "Still needed" in str(excinfo.value)


@GATE_SETTINGS
@given(policy=policies(), data=st.data())
def test_any_qualifying_set_one_short_does_not_open_the_gate(policy, data):
    dealt = deal_gate(policy)
    everyone = holders(dealt)
    minimal = minimal_set(policy)
    assert qualifies(policy, set(minimal))
    assert recover(dealt, [everyone[i] for i in data.draw(st.permutations(minimal))])
    dropped = data.draw(st.sampled_from(minimal))
    short = [everyone[i] for i in minimal if i != dropped]
    if not short:
        short_result = pytest.raises(ShareError, match="No shares")
    else:
        short_result = pytest.raises(ShareError, match="Still needed")
    with short_result as excinfo:
        recover(dealt, short)
    assert excinfo.value.reason == "insufficient"


def test_insufficient_messages_say_what_is_missing():
    b = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2))
    with pytest.raises(ShareError, match="the server's share"):
        recover(b, list(b.gatekeeper_shares))
    with pytest.raises(ShareError, match="1 more gatekeeper share"):
        recover(b, [b.server_share, b.gatekeeper_shares[1]])
    c = deal_gate(GatePolicy("any_k_of_n", gatekeepers=4, threshold=3))
    with pytest.raises(ShareError, match="1 more share"):
        recover(c, [c.gatekeeper_shares[0], c.server_share])


@pytest.mark.parametrize(
    "policy",
    [GatePolicy("server"), GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2)],
)
def test_without_the_server_share_modes_a_and_b_cannot_recover(policy):
    dealt = deal_gate(policy)
    all_gatekeepers = list(dealt.gatekeeper_shares)
    assert not can_recover(all_gatekeepers, identifier=dealt.identifier)
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, all_gatekeepers)
    assert excinfo.value.reason == "insufficient"


def test_without_the_server_share_mode_c_still_recovers_from_k_gatekeepers():
    dealt = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=2))
    key = recover(dealt, list(dealt.gatekeeper_shares[1:]))
    assert key.public_key.encode() == dealt.public_key


# -- recovery: bad shares are named ----------------------------------------------------------


@GATE_SETTINGS
@given(data=st.data())
def test_a_share_with_one_word_replaced_is_named_as_a_checksum_error(data):
    dealt = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=3))
    shares = holders(dealt)
    target = data.draw(st.integers(min_value=0, max_value=len(shares) - 1))
    words = shares[target].split()
    position = data.draw(st.integers(min_value=0, max_value=len(words) - 1))
    replacement = data.draw(st.sampled_from(WORDLIST).filter(lambda w: w != words[position]))
    words[position] = replacement
    shares[target] = " ".join(words)
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, shares)
    assert excinfo.value.reason == "checksum"
    assert excinfo.value.index == target
    assert f"Share {target + 1} has a checksum error" in str(excinfo.value)
    with pytest.raises(ShareError, match="checksum"):
        inspect_share(shares[target], identifier=dealt.identifier)


def _other_deal(dealt, policy):
    while True:
        other = deal_gate(policy)
        if other.identifier != dealt.identifier:
            return other


def test_a_share_from_another_campaign_is_named_foreign():
    policy = GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2)
    dealt = deal_gate(policy)
    other = _other_deal(dealt, policy)
    shares = [dealt.server_share, other.gatekeeper_shares[0], dealt.gatekeeper_shares[1]]
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, shares)
    assert (excinfo.value.reason, excinfo.value.index) == ("foreign", 1)
    assert "another campaign" in str(excinfo.value)
    with pytest.raises(ShareError, match="another campaign"):
        inspect_share(other.server_share, identifier=dealt.identifier, index=4)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda share: "not a share at all",
        lambda share: "",
        lambda share: " ".join(share.split()[:-1]),  # a word missing
        lambda share: share + " academic",  # a word too many
        lambda share: share.replace(share.split()[5], "zzzz", 1),  # not a SLIP-39 word
    ],
)
def test_malformed_shares_are_named(mangle):
    dealt = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=2, threshold=2))
    shares = [dealt.server_share, dealt.gatekeeper_shares[0], mangle(dealt.gatekeeper_shares[1])]
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, shares)
    assert (excinfo.value.reason, excinfo.value.index) == ("malformed", 2)
    assert str(excinfo.value).startswith("Share 3")


def test_the_first_bad_share_is_named_even_when_later_ones_are_bad_too():
    dealt = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=2))
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [dealt.server_share, "garbage", "more garbage"])
    assert excinfo.value.index == 1


def test_a_share_given_twice_is_named_duplicate():
    dealt = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=3))
    shares = [dealt.gatekeeper_shares[0], dealt.server_share, dealt.gatekeeper_shares[0].upper()]
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, shares)
    assert (excinfo.value.reason, excinfo.value.index) == ("duplicate", 2)


def test_typing_variations_of_a_share_are_accepted():
    dealt = deal_gate(GatePolicy("server"))
    typed = "  " + dealt.server_share.upper().replace(" ", "\n  ") + "\t"
    assert recover(dealt, [typed]).public_key.encode() == dealt.public_key


def test_a_valid_key_that_is_not_this_campaigns_is_a_mismatch():
    dealt = deal_gate(GatePolicy("server"))
    with pytest.raises(ShareError) as excinfo:
        recover_private_key(
            [dealt.server_share],
            identifier=dealt.identifier,
            public_key=nacl.public.PrivateKey.generate().public_key.encode(),
        )
    assert excinfo.value.reason == "mismatch"


def _forged_deal(identifier, groups, group_threshold):
    """Shares of an unrelated secret that happen to carry the same 15-bit identifier."""
    ems = shamir_mnemonic.EncryptedMasterSecret.from_master_secret(
        nacl.utils.random(32), b"", identifier, True, 0
    )
    return [
        [share.mnemonic() for share in group]
        for group in shamir_mnemonic.split_ems(group_threshold, groups, ems)
    ]


def test_shares_of_two_deals_with_colliding_identifiers_are_a_mismatch():
    dealt = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2))
    forged = _forged_deal(dealt.identifier, [(1, 1), (2, 3)], 2)
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [dealt.server_share, forged[1][0], forged[1][1]])
    assert excinfo.value.reason == "mismatch"

    # A whole forged set combines fine, but to another key.
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [forged[0][0], forged[1][0], forged[1][1]])
    assert excinfo.value.reason == "mismatch"


def test_a_colliding_share_with_other_parameters_is_named_foreign():
    dealt = deal_gate(GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2))
    forged = _forged_deal(dealt.identifier, [(2, 3)], 1)
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [dealt.server_share, forged[0][0]])
    assert (excinfo.value.reason, excinfo.value.index) == ("foreign", 1)


def test_no_shares_is_insufficient():
    dealt = deal_gate(GatePolicy("server"))
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [])
    assert excinfo.value.reason == "insufficient"


def test_two_different_shares_in_the_same_place_are_named_foreign():
    dealt = deal_gate(GatePolicy("any_k_of_n", gatekeepers=3, threshold=3))
    forged = _forged_deal(dealt.identifier, [(3, 4)], 1)
    with pytest.raises(ShareError) as excinfo:
        recover(dealt, [dealt.server_share, dealt.gatekeeper_shares[0], forged[0][1]])
    assert (excinfo.value.reason, excinfo.value.index) == ("foreign", 2)


def test_a_forged_well_formed_share_does_not_block_an_honest_qualifying_set():
    """Anyone who has seen one share can forge another of the same layout; extra honest
    shares must still open the gate."""
    policy = GatePolicy("server_and_gatekeepers", gatekeepers=3, threshold=2)
    dealt = deal_gate(policy)
    forged = forged_share(dealt.gatekeeper_shares[1])
    shares = [dealt.server_share, dealt.gatekeeper_shares[0], forged, dealt.gatekeeper_shares[2]]
    key = recover_private_key(shares, identifier=dealt.identifier, public_key=dealt.public_key)
    assert bytes(key.public_key) == dealt.public_key
    with pytest.raises(ShareError) as raised:
        recover_private_key(shares[:3], identifier=dealt.identifier, public_key=dealt.public_key)
    assert raised.value.reason == "mismatch"
