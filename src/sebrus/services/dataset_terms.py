"""A dataset's terms of reuse: the licence and the citation its owner states, checked before storing.

Every export states them (Croissant's recommended ``license`` and ``citeAs``), so they must be
something a consumer can act on: a licence is an SPDX licence expression (``CC-BY-4.0``,
``MIT OR Apache-2.0``) or an http(s) URL of the licence text, and a citation is plain text (a BibTeX
entry, say) without control characters other than line breaks and tabs. An empty string clears
either one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sebrus.services.errors import InvalidInput

MAX_LICENSE = 256
MAX_CITE_AS = 4000

_SPDX_ID = r"(?:LicenseRef-|DocumentRef-[A-Za-z0-9.\-]+:LicenseRef-)?[A-Za-z0-9][A-Za-z0-9.\-]*\+?"
_SPDX_EXPRESSION = re.compile(
    rf"^\(*{_SPDX_ID}\)*(?:\s+(?:AND|OR|WITH)\s+\(*{_SPDX_ID}\)*)*$",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_license(value: str) -> str | None:
    """The licence to store (None clears it); InvalidInput naming the problem otherwise."""
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_LICENSE:
        raise InvalidInput(f"`license` must be at most {MAX_LICENSE} characters.", field="license")
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        if not parts.netloc or any(c.isspace() for c in text):
            raise InvalidInput("`license` is not a valid URL.", field="license")
        return text
    if _SPDX_EXPRESSION.match(text) is None or text.count("(") != text.count(")"):
        raise InvalidInput(
            "`license` must be an SPDX licence expression (e.g. CC-BY-4.0, MIT OR Apache-2.0) or the "
            "http(s) URL of the licence text.",
            field="license",
        )
    return text


def clean_cite_as(value: str) -> str | None:
    """The citation to store (None clears it); InvalidInput naming the problem otherwise."""
    text = value.strip().replace("\r\n", "\n")
    if not text:
        return None
    if len(text) > MAX_CITE_AS:
        raise InvalidInput(f"`cite_as` must be at most {MAX_CITE_AS} characters.", field="cite_as")
    if _CONTROL.search(text):
        raise InvalidInput("`cite_as` must not contain control characters.", field="cite_as")
    return text
