"""Numbers in instructions: percentages, stops, degrees, pixel sizes, ratios and factors.

Each parser takes a lower-cased clause and returns what it found (or ``None``);
the planner decides which op a quantity belongs to.

Examples
--------
>>> parse_percent("brighten it by 20 %")
20.0
>>> parse_stops("push it +1 stop")
1.0
>>> parse_size("resize to 800 px wide")
{'width': 800}
>>> parse_aspect("crop it 16:9")
'16:9'
"""

from __future__ import annotations

import re

_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_WORD_NUMBERS = {
    "half a": 0.5,
    "half": 0.5,
    "a quarter": 0.25,
    "quarter": 0.25,
    "one and a half": 1.5,
    "a third": 0.33,
    "one": 1.0,
    "a": 1.0,
    "an": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
}
_WORD_NUMBER = "|".join(sorted((re.escape(k) for k in _WORD_NUMBERS), key=len, reverse=True))


def _number(text: str) -> float:
    return _WORD_NUMBERS[text] if text in _WORD_NUMBERS else float(text)


def parse_percent(clause: str) -> float | None:
    """A percentage ("20 %", "by 20 percent"), signed as written."""
    match = re.search(rf"({_NUMBER})\s*(?:%|percent\b|per cent\b)", clause)
    return float(match.group(1)) if match else None


def parse_signed_slider(clause: str) -> float | None:
    """A Lightroom-style slider value written after the control: "shadows +30", "hue -30"."""
    match = re.search(
        r"[a-z]\s*(?:to\s+|by\s+|at\s+|of\s+)?([+-]\d+(?:\.\d+)?|\d+(?:\.\d+)?)\b(?!\s*[%:x×])", clause
    )
    return float(match.group(1)) if match else None


def parse_stops(clause: str) -> float | None:
    """Exposure in stops/EV ("+1 EV", "half a stop", "two stops"), unsigned unless written."""
    match = re.search(rf"({_NUMBER}|{_WORD_NUMBER})\s*(?:f-?)?(?:stops?\b|ev\b)", clause)
    if match:
        return _number(match.group(1))
    match = re.search(rf"\bev\s*({_NUMBER})", clause)
    return float(match.group(1)) if match else None


def parse_degrees(clause: str) -> float | None:
    """An angle in degrees ("90°", "3 degrees", "a quarter turn", "180")."""
    match = re.search(rf"({_NUMBER})\s*(?:°|degrees?\b|deg\b)", clause)
    if match:
        return float(match.group(1))
    if re.search(r"quarter[- ]turn", clause):
        return 90.0
    if re.search(r"upside[- ]down|half[- ]turn", clause):
        return 180.0
    match = re.search(r"(?<![\d.])([+-]?)(90|180|270|45)\b(?![.\d])", clause)
    return float(match.group(1) + match.group(2)) if match else None


def parse_size(clause: str) -> dict[str, int] | None:
    """Target pixel size: "800x600", "1920 wide", "500 pixels tall", "1080 px on the long edge"."""
    match = re.search(r"\b(\d{2,5})\s*(?:x|×|by)\s*(\d{2,5})\b", clause)
    if match:
        return {"width": int(match.group(1)), "height": int(match.group(2))}
    unit = r"\s*(?:px|pixels?|pixel)?\s*"
    match = re.search(rf"\b(\d{{2,5}}){unit}(?:wide|width|across)\b", clause) or re.search(
        r"\bwidth\b\D{0,20}?(\d{2,5})", clause
    )
    if match:
        return {"width": int(match.group(1))}
    match = re.search(rf"\b(\d{{2,5}}){unit}(?:tall|high|height)\b", clause) or re.search(
        r"\bheight\b\D{0,20}?(\d{2,5})", clause
    )
    if match:
        return {"height": int(match.group(1))}
    match = re.search(rf"\b(\d{{2,5}}){unit}(?:on the )?(?:long(?:est)? (?:edge|side)|max|maximum)", clause)
    match = match or re.search(
        r"(?:max(?:imum)?|long(?:est)? (?:edge|side)|under|below)\D{0,12}(\d{2,5})", clause
    )
    if match:
        return {"max_side": int(match.group(1))}
    match = re.search(r"\b(\d{3,5})\s*(?:px|pixels?)\b", clause)
    if match:
        return {"max_side": int(match.group(1))}
    return None


def parse_aspect(clause: str) -> str | None:
    """An aspect ratio: "16:9", "4 by 5", "square", "widescreen"."""
    match = re.search(r"\b(\d{1,2})\s*[:/]\s*(\d{1,2})\b", clause)
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    if re.search(r"\bsquare\b|instagram", clause):
        return "1:1"
    if "widescreen" in clause or "cinematic" in clause:
        return "16:9"
    return None


def parse_factor(clause: str) -> float | None:
    """A scale factor: "4x", "x2", "2 times", "double", "half size", "triple"."""
    match = re.search(rf"\b({_NUMBER})\s*(?:x|×)(?![a-z0-9])|(?:x|×)\s*({_NUMBER})\b", clause)
    if match:
        return float(match.group(1) or match.group(2))
    match = re.search(rf"\b({_NUMBER}|{_WORD_NUMBER})\s*times\b", clause)
    if match:
        return _number(match.group(1))
    for word, factor in (("quadruple", 4.0), ("triple", 3.0), ("double", 2.0), ("twice", 2.0), ("half", 0.5)):
        if re.search(rf"\b{word}", clause):
            return factor
    return None
