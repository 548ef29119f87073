"""What plotly would draw as markup in a figure's JSON (issue 18: chart text must be escaped)."""
from __future__ import annotations

import json
import re


def _strings(node: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, k)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, key)]
    return [(key, node)] if isinstance(node, str) else []


OUR_TAGS = re.compile(r"<br>|<extra>|</extra>")


def live_markup(figure_json: str) -> list[str]:
    """Strings of a figure that plotly would draw as markup: any '<' outside our own hover templates' tags."""
    bad = []
    for key, text in _strings(json.loads(figure_json)):
        if key in ("hovertemplate", "texttemplate"):
            text = OUR_TAGS.sub("", text)
        if "<" in text or ">" in text:
            bad.append(f"{key}: {text}")
    return bad
