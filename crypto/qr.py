"""Gatekeeper shares (and invite slips' addresses) as SVG QR codes, for printing.

The SVG is meant to be inlined in an HTML page under a strict Content-Security-Policy: no XML
declaration, no script, no ``style`` attributes (``style-src 'self'`` would block them), no
external references. Colours are plain ``fill``/``stroke`` attributes, which CSP allows.

Error correction "M" (about 15% of the symbol can be damaged): a share of 33 words is long, and
"Q" or "H" would make a denser symbol that is harder to scan from paper or a phone screen; the
words printed beside the code are the fallback, and their SLIP-39 checksum catches typos. segno
raises the level on its own when that costs nothing.

The words are encoded in upper case, which lets QR use its compact alphanumeric mode; reading a
share back is case-insensitive.
"""

from __future__ import annotations

import segno

QR_ERROR_LEVEL = "m"
QR_TITLE = "QR code of a gate share"


def share_qr_svg(mnemonic: str) -> str:
    """An inline-ready ``<svg>`` element encoding ``mnemonic``."""
    text = " ".join(mnemonic.split()).upper()
    if not text:
        raise ValueError("Cannot draw a QR code for an empty share.")
    return _inline_svg(text, QR_TITLE, "gate-share-qr")


def address_qr_svg(address: str) -> str:
    """An inline-ready ``<svg>`` element encoding a web address, for an invite slip.

    Only the address: a phone's camera opens what it scans in its default browser and keeps it
    in that browser's history and sync, so a slip's code is never put in a QR code.
    """
    text = address.strip()
    if not text or any(character.isspace() for character in text):
        raise ValueError("An address for a QR code is one word without spaces.")
    return _inline_svg(text, ADDRESS_QR_TITLE, "address-qr")


ADDRESS_QR_TITLE = "QR code of the campaign's address"


def _inline_svg(text: str, title: str, svgclass: str) -> str:
    code = segno.make(text, error=QR_ERROR_LEVEL, micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,  # the quiet zone the QR standard asks for
        dark="#000",
        light="#fff",  # opaque background so it scans on dark pages too
        title=title,
        svgclass=svgclass,
        lineclass=None,
        omitsize=True,  # viewBox only: the page's stylesheet decides the size
    )
    if not svg.startswith("<svg "):
        raise AssertionError("segno returned unexpected SVG")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)
