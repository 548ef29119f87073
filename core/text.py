"""Imported text shown as text: never as Markdown that could link, embed an image or fetch remote content.

Streamlit renders ``st.markdown``/``st.caption``/``st.success`` text as Markdown (raw HTML is
off unless ``unsafe_allow_html``). A title such as ``![x](http://tracker.example/p.png)`` would
still fetch an image, and ``[click](javascript:…)`` would render a link. Every value that came
from a spreadsheet goes through :func:`inert` before it meets Markdown; tables are data, not
Markdown, and need nothing.

Escaping is not enough for *autolinks*: Streamlit's GitHub-flavoured Markdown turns ``http://…``,
``www.…`` and ``name@host`` into links in plain text, after the escapes are resolved. A word joiner
(U+2060, invisible) inside ``://``, after ``www`` and before ``@`` breaks them, so no imported text
ever becomes a clickable link or a fetched image.
"""
from __future__ import annotations

import re
from typing import Any

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
JOINER = "\u2060"
_SCHEME = re.compile(r"(?i)(?:mailto|xmpp):|:(?=//)")  # scheme://… and the two GFM schemes without //
_WWW = re.compile(r"(?i)www\.")


def inert(value: Any) -> str:
    """The text with every Markdown control character backslash-escaped (and newlines kept as spaces)."""
    if value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NaTType":
        return ""  # a missing value reads as nothing, never "nan"
    text = unlinked(" ".join(str(value).split()))
    return _SPECIAL.sub(r"\\\1", text)


def unlinked(text: str) -> str:
    """The text with every autolink broken by an invisible word joiner (what the user reads is unchanged)."""
    text = _SCHEME.sub(lambda m: m.group(0) + JOINER, text)
    return _WWW.sub(lambda m: m.group(0)[:3] + JOINER + ".", text).replace("@", JOINER + "@")


def inert_lines(value: Any) -> str:
    """Several lines (an error listing problems) made inert line by line, kept as Markdown line breaks."""
    return "  \n".join(inert(line) for line in str(value or "").splitlines() if line.strip())
