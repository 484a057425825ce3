"""The revealed pledges at rest, for each audience.

- Organisers: the full records sealed to every organiser and admin account's public key at the
  moment of the reveal (`crypto.sealing`). Only someone holding one of those private keys (an
  organiser's passphrase, or their signed-in session) can read them.
- Co-signers: name, contact, team and message of the revealed set, encrypted under a keystore key
  (`crypto.atrest`): the server decrypts it only to answer a request carrying a revealed
  co-signer's receipt.
- The public: the names of revealed signers who chose to be listed, under the same keystore key.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import nacl.public

from crypto import atrest, sealing
from crypto.keystore import Keystore
from organise.campaigns import keys
from organise.campaigns.models import Audience, Campaign

RECORD_FIELDS = ("name", "contact", "team", "message", "personal_threshold", "list_publicly")
COSIGNER_FIELDS = ("name", "contact", "team", "message")


def organisers_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.organisers:{campaign.id}"


def cosigners_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.cosigners:{campaign.id}"


def public_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.public:{campaign.id}"


@dataclass(frozen=True)
class Released:
    to_organisers: bytes | None
    to_cosigners: bytes | None
    to_public: bytes | None


def _encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sort_key(record: dict[str, Any]) -> tuple[str, ...]:
    # Alphabetical on the whole record, so that even equal names and teams never keep the order
    # in which the rows were read (close to the order in which people signed).
    folded = tuple(str(record.get(name) or "").casefold() for name in RECORD_FIELDS)
    exact = tuple(str(record.get(name) or "") for name in RECORD_FIELDS)
    return folded + exact


def build(
    campaign: Campaign,
    records: list[dict[str, Any]],
    *,
    organiser_keys: list[bytes],
    release_key: bytes,
) -> Released:
    records = [{name: record.get(name) for name in RECORD_FIELDS} for record in records]
    # Shuffled first: records equal in every field are then in no particular order either.
    random.SystemRandom().shuffle(records)
    records.sort(key=_sort_key)
    to_organisers = (
        sealing.seal_to_recipients(
            _encode(records), organiser_keys, context=organisers_context(campaign)
        )
        if organiser_keys
        else None
    )
    to_cosigners = to_public = None
    if campaign.audience in (Audience.COSIGNERS, Audience.PUBLIC):
        cosigners = [
            {name: record.get(name) or "" for name in COSIGNER_FIELDS} for record in records
        ]
        to_cosigners = atrest.encrypt_field(
            release_key, _encode(cosigners), context=cosigners_context(campaign)
        )
    if campaign.audience == Audience.PUBLIC:
        names = [record["name"] for record in records if record.get("list_publicly")]
        to_public = atrest.encrypt_field(
            release_key, _encode(names), context=public_context(campaign)
        )
    return Released(to_organisers, to_cosigners, to_public)


def open_for_organiser(
    campaign: Campaign, private_key: nacl.public.PrivateKey
) -> list[dict[str, Any]]:
    """The revealed records; raises crypto.errors.EnvelopeError for a key it was not sealed to."""
    if campaign.released_to_organisers is None:
        return []
    data = sealing.open_sealed(
        campaign.released_to_organisers, private_key, context=organisers_context(campaign)
    )
    return json.loads(data)


async def _release_key(campaign: Campaign, keystore: Keystore) -> bytes | None:
    return await keys.in_thread(keystore.get, keys.release_key(campaign.id))


async def cosigners(campaign: Campaign, *, keystore: Keystore) -> list[dict[str, str]]:
    key = await _release_key(campaign, keystore)
    if key is None or campaign.released_to_cosigners is None:
        return []
    data = atrest.decrypt_field(
        key, campaign.released_to_cosigners, context=cosigners_context(campaign)
    )
    return json.loads(data)


async def public_names(campaign: Campaign, *, keystore: Keystore) -> list[str]:
    key = await _release_key(campaign, keystore)
    if key is None or campaign.released_to_public is None:
        return []
    data = atrest.decrypt_field(key, campaign.released_to_public, context=public_context(campaign))
    return json.loads(data)
