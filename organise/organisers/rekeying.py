"""A new key pair for accounts whose keys someone else's passphrase made, however they sign in.

Accounts older than enrolment (`enrolled` False) had their key pair made under a passphrase
someone else typed, who may have kept it with a copy of the database. The first time the holder
unlocks the account's key with their passphrase, whichever way (a web sign-in, or a command that
asks for it, such as `organise campaign reveal --organiser`), `rekey_if_needed` makes a new pair
under the passphrase just checked. Before the old private key is dropped, everything sealed to
the old public key is sealed to the new one, in the transaction that stores the new key:

- the report inbox key grants (`reports.inbox.reseal_grants`);
- gatekeeper shares held for the account (`campaigns.heldshares.reseal_for_new_key`);
- the organisers' copy of every revealed campaign it was sealed to
  (`campaigns.release.reseal_for_new_key`).

The account's sessions end with it: each holds the old private key.
"""

from __future__ import annotations

import nacl.public
from tortoise.transactions import in_transaction

from crypto import keywrap
from crypto.errors import WrongPassphrase
from crypto.keystore import Keystore
from organise.campaigns import heldshares, release
from organise.organisers import accounts
from organise.organisers.models import Organiser, OrganiserSession
from organise.reports import inbox


def _new_keys(passphrase: str) -> tuple[keywrap.OrganiserKeys, nacl.public.PrivateKey]:
    keys = keywrap.generate_organiser_keys(
        passphrase, opslimit=accounts.KDF_OPSLIMIT, memlimit=accounts.KDF_MEMLIMIT
    )
    # Unwrapped once here so that the caller goes on with the new key, not the old one.
    private_key = keywrap.unwrap_private_key(keys.wrapped_private_key, passphrase)
    return keys, private_key


async def rekey_if_needed(
    organiser: Organiser,
    old_key: nacl.public.PrivateKey,
    passphrase: str,
    *,
    keystore: Keystore,
) -> nacl.public.PrivateKey:
    """For an account whose keys someone else's passphrase made: a new pair, made now.

    `passphrase` was just checked against the account (it unwrapped `old_key`). Everything
    sealed to the old public key is sealed to the new one in the same transaction as the new key
    is stored, so the account never holds something its key cannot open. Returns the private
    key to use from now on.
    """
    if organiser.enrolled:
        return old_key
    keys, new_key = await accounts.in_kdf_thread(_new_keys, passphrase)
    async with in_transaction():
        fresh = await Organiser.select_for_update().get(id=organiser.id)
        if fresh.enrolled:  # re-keyed by another sign-in at the same moment: use theirs
            return await accounts.in_kdf_thread(
                keywrap.unwrap_private_key, fresh.wrapped_private_key, passphrase
            )
        await inbox.reseal_grants(fresh, old_key, keys.public_key)
        await heldshares.reseal_for_new_key(fresh, old_key, keys.public_key)
        await release.reseal_for_new_key(old_key, keys.public_key, keystore)
        fresh.public_key = keys.public_key
        fresh.wrapped_private_key = keys.wrapped_private_key
        fresh.enrolled = True
        await fresh.save(update_fields=["public_key", "wrapped_private_key", "enrolled"])
        await OrganiserSession.filter(organiser_id=fresh.id).delete()
    organiser.public_key = keys.public_key
    organiser.wrapped_private_key = keys.wrapped_private_key
    organiser.enrolled = True
    return new_key


async def unlock(
    organiser: Organiser, passphrase: str, *, keystore: Keystore
) -> nacl.public.PrivateKey:
    """The account's private key, for a command that asks for the passphrase.

    Raises WrongPassphrase. As at a web sign-in, an account whose keys someone else's passphrase
    made is re-keyed first (`rekey_if_needed`), and the new key is returned.
    """
    wrapped = organiser.wrapped_private_key
    if wrapped is None:  # waiting for enrolment: no key, no passphrase
        raise WrongPassphrase("Wrong passphrase.")
    private_key = await accounts.in_kdf_thread(keywrap.unwrap_private_key, wrapped, passphrase)
    return await rekey_if_needed(organiser, private_key, passphrase, keystore=keystore)
