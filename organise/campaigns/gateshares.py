"""The gate's shares held in the keystore, and the campaign key rebuilt from them.

The server's share is stored at creation (`setup`); gatekeepers' shares, one per place, as they
are handed in (`gatekeeping`). The reveal and the ticker rebuild the key from what is held.
"""

from __future__ import annotations

import nacl.public

from crypto.errors import ShareError
from crypto.gate import recover_private_key
from crypto.keystore import Keystore
from organise.campaigns import keys, policy
from organise.campaigns.models import Campaign

Place = tuple[int, int]  # (group index, member index)


def place_name(campaign: Campaign, place: Place) -> str:
    return f"{keys.submitted_prefix(campaign.id)}{place[0]}-{place[1]}"


def _place_of(name: str) -> Place:
    # Older names carried a digest after the place: "<group>-<member>-<digest>".
    group, member = name.rsplit("/", 1)[1].split("-")[:2]
    return int(group), int(member)


async def handed_in(campaign: Campaign, keystore: Keystore) -> dict[Place, str]:
    """The share held for each gatekeeper place (one per place)."""
    names = await keys.in_thread(keystore.names, keys.submitted_prefix(campaign.id))
    values = await keys.in_thread(keystore.get_many, names)
    places: dict[Place, str] = {}
    for name in sorted(values):
        places.setdefault(_place_of(name), values[name].decode("utf-8"))
    return places


def _rebuild(
    campaign: Campaign, server: str, places: dict[Place, str], needed: int
) -> nacl.public.PrivateKey | None:
    if len(places) < needed:
        return None
    try:
        return recover_private_key(
            [server, *(places[place] for place in sorted(places))],
            identifier=campaign.gate_identifier,
            public_key=campaign.public_key,
        )
    except ShareError:
        return None


async def rebuild_key(campaign: Campaign, keystore: Keystore) -> nacl.public.PrivateKey | None:
    """The campaign private key if the shares present open the gate, else None."""
    server = await keys.in_thread(keystore.get, keys.server_share(campaign.id))
    if server is None:
        return None
    needed = policy.gatekeeper_shares_needed(policy.gate_policy(campaign))
    places = await handed_in(campaign, keystore) if needed else {}
    return await keys.in_thread(_rebuild, campaign, server.decode("utf-8"), places, needed)
