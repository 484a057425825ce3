"""Gatekeeper shares as an SVG QR code, for printing or scanning at the ceremony.

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
    code = segno.make(text, error=QR_ERROR_LEVEL, micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,  # the quiet zone the QR standard asks for
        dark="#000",
        light="#fff",  # opaque background so it scans on dark pages too
        title=QR_TITLE,
        svgclass="gate-share-qr",
        lineclass=None,
        omitsize=True,  # viewBox only: the page's stylesheet decides the size
    )
    if not svg.startswith("<svg "):
        raise AssertionError("segno returned unexpected SVG")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{QR_TITLE}" ', 1)
