"""Every cryptographic decision of Organise, in one small library.

The package is pure: it imports the standard library, PyNaCl (libsodium), ``shamir-mnemonic``
and ``segno`` only, never the web app, so that it can be read, tested and reviewed on its own.
``docs/crypto.md`` describes the key hierarchy and its limits.

Modules, one job each:

- ``errors``    -- the exceptions every module raises.
- ``envelope``  -- pledge envelopes: padded, sealed to the campaign key, then encrypted under a
  per-pledge key bound to campaign id and pledge id.
- ``gate``      -- the campaign key pair and its SLIP-39 shares (server, gatekeepers).
- ``qr``        -- gatekeeper shares as an inline SVG QR code.
- ``keystore``  -- the separate SQLite store for per-pledge keys, gate shares and peppers.
- ``passwords`` -- Argon2id passphrase hashing for logins.
- ``keywrap``   -- organiser key pairs, private key wrapped under an Argon2id-derived key.
- ``sealing``   -- encrypting a record to one or several organisers' public keys.
- ``streams``   -- long results as a sequence of sealed chunks (libsodium secretstream).
- ``atrest``    -- small fields the server must read back itself (e.g. TOTP secrets).
- ``codes``     -- invite codes, receipts, tokens and their keyed hashes.
"""
