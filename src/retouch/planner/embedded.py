"""The embedded default planner: rules for structure, sentence embeddings for meaning.

An instruction is split into clauses ("and", "then", commas, "but"). Each
clause is read by rules for what rules do well — negation, questions,
regions, numbers, direction and intensity words, requests that are not image
edits — and its op is chosen by meaning: the clause is embedded with
all-MiniLM-L6-v2 and compared with every op's example phrasings from the
registry, so an op with good examples is plannable without touching this
module. Words that name an op outright (:data:`lexicon.OP_KEYWORDS`) steer
the choice. A step below the confidence threshold is not guessed: the
instruction is refused with the closest ops as suggestions.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from retouch.errors import PlanError
from retouch.ops.registry import MACRO, OpSpec, all_specs
from retouch.planner import lexicon as lx
from retouch.planner import quantities as qty
from retouch.planner.chinese import gloss, has_chinese
from retouch.planner.embedding import SentenceEncoder, save_atomic
from retouch.plans import Plan, Step

# Similarity at or above which a clause is planned without a naming keyword.
MIN_SIMILARITY = 0.58
# What a naming keyword adds to its op's similarity.
KEYWORD_BONUS = 0.35
# Steps with less confidence than this are refused with suggestions.
MIN_CONFIDENCE = 0.45


@dataclass
class Clause:
    """One clause of an instruction and what the rules read in it."""

    text: str
    core: str = ""
    region: str | None = None
    question: bool = False
    asks: bool = False
    diagnosis: bool = False
    refers_back: bool = False


@dataclass
class Reading:
    """A clause with the op chosen for it (``spec`` is None when none was close enough)."""

    clause: Clause
    spec: OpSpec | None
    confidence: float
    keyword: bool
    suggestions: list[str]
    source: str

    @property
    def action(self) -> bool:
        return not self.clause.diagnosis


@dataclass
class _Index:
    """Example phrasings of every op, embedded once."""

    names: list[str]
    specs: dict[str, OpSpec]
    example_ops: np.ndarray
    vectors: np.ndarray
    off_topic: np.ndarray
    keywords: dict[str, re.Pattern[str]] = field(default_factory=dict)


def _strip_regions(text: str) -> str:
    for pattern, _ in lx.REGIONS:
        text = re.sub(pattern, " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _phrases() -> tuple[list[str], list[int], list[str]]:
    """Every op's example phrasings (region words removed), their owners, and the op names."""
    specs = {s.name: s for s in all_specs()}
    phrases: list[str] = []
    owners: list[int] = []
    names = sorted(specs)
    for number, name in enumerate(names):
        spec = specs[name]
        own = [name.replace("_", " "), spec.description.rstrip("."), *spec.examples]
        for phrase in own:
            stripped = _strip_regions(phrase.lower()) or phrase.lower()
            phrases.append(stripped)
            owners.append(number)
    return phrases, owners, names


@lru_cache(maxsize=1)
def _index() -> _Index:
    specs = {s.name: s for s in all_specs()}
    phrases, owners, names = _phrases()
    encoder = SentenceEncoder.shared()
    vectors = encoder.encode_cached(phrases)
    off_topic = encoder.encode_cached(list(lx.OFF_TOPIC_EXAMPLES))
    keywords = {op: re.compile(p) for op, p in lx.OP_KEYWORDS.items() if op in specs}
    return _Index(names, specs, np.array(owners), vectors, off_topic, keywords)


def refresh_packaged_embeddings(directory: Path | None = None) -> list[Path]:
    """Embed the current op examples into the package, so a fresh install plans at once.

    Run ``python -m retouch.planner.embedded --refresh`` after changing any op's
    examples; stale files in the directory are removed.
    """
    directory = directory or Path(__file__).parent / "data" / "embeddings"
    encoder = SentenceEncoder.shared()
    wanted = {}
    for sentences in (_phrases()[0], list(lx.OFF_TOPIC_EXAMPLES)):
        wanted[encoder.cache_key(sentences)] = sentences
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("embeddings-*.npy"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, sentences in wanted.items():
        save_atomic(directory / name, encoder.encode(sentences))
        written.append(directory / name)
    return written


def normalise(text: str) -> str:
    """Lower-case, unify punctuation, gloss Chinese, protect phrases that contain "and"."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    if has_chinese(text):
        text = gloss(text)
        # Chinese puts the verb last ("把文字去掉"): bring it to the front of its clause.
        text = re.sub(lx.TRAILING_VERB, r"\2 \1\3", text)
    for pattern, replacement in lx.REWRITES:
        text = re.sub(pattern, replacement, text)
    return re.sub(r"\s+", " ", text).strip()


def split_clauses(text: str) -> list[str]:
    """Split a normalised instruction into clauses."""
    parts = re.split(lx.CLAUSE_SPLIT, text)
    return [p.strip(" .!") for p in parts if p and p.strip(" .!")]


def _region(text: str) -> tuple[str | None, str]:
    """The region a clause names, and the clause without it.

    Of several regions, one named as a place ("in the background") yields to
    the target ("erase the people in the background").
    """
    names = "|".join(lx.COLOURS.values())
    match = re.search(lx.COLOUR_REGION.format(names=names), text)
    if match and not re.search(r"\b(too|more|less|make it|it's|its|is)\s+" + re.escape(match.group(2)), text):
        colour = next(c for c, p in lx.COLOURS.items() if re.fullmatch(p, match.group(2)))
        return f"color:{colour}", (text[: match.start()] + " " + text[match.end() :]).strip()
    found = [(m, name) for pattern, name in lx.REGIONS if (m := re.search(pattern, text))]
    if not found:
        return None, text
    targets = [(m, n) for m, n in found if not re.search(lx.LOCATIVE, text[: m.start()])] or found
    # "the tourists ... background": the background is where they are, not what to act on.
    targets.sort(key=lambda pair: pair[1] in ("background", "foreground"))
    match, name = targets[0]
    places = [(m, n) for m, n in found if n not in ("shadows", "highlights")]
    if name in ("shadows", "highlights") and places:
        # "recover the highlights in the sky": the tonal words name the op, the place is the region.
        match, name = places[0]
        return name, re.sub(r"\s+", " ", text.replace(match.group(0), " ", 1)).strip()
    for other, _ in found:
        text = text.replace(other.group(0), " ", 1) if other is not match else text
    text = text.replace(match.group(0), " ", 1)
    return name, re.sub(r"\s+", " ", text).strip()


def _scale(text: str) -> float:
    for pattern, factor in lx.INTENSITY:
        if re.search(pattern, text):
            return factor
    return 1.0


def _polarity(text: str, axis: dict[str, int]) -> int:
    """+1 / -1 from the first axis word in ``text`` (0 when none).

    Axis words carry their own meaning ("dark" is -1). Said of the picture
    ("too dark", "it looks dim") a state word asks for the opposite, as does
    a reducing word before it ("less magenta", "remove the green cast");
    "not X enough" asks for more of X.
    """
    found: list[tuple[int, int]] = []
    for pattern, sign in axis.items():
        for match in re.finditer(pattern, text):
            before = text[max(0, match.start() - 24) : match.start()]
            after = text[match.end() : match.end() + 10]
            value = sign
            if re.fullmatch(lx.STATE_WORDS, match.group(0)):
                if re.search(lx.STATE_CONTEXT, before):
                    value = -value
                if re.search(lx.REDUCING, before):
                    value = -value
            if re.match(r"\s*enough", after):
                value = sign if re.search(r"\bnot\s+(\w+\s+)?$", before) else -sign
            found.append((match.start(), value))
    return min(found)[1] if found else 0


def _merge(readings: list[Reading]) -> list[Reading]:
    """Join clauses that describe one edit: a diagnosis and its fix, or the same op twice.

    "it's too dark, lighten it", "less contrast, it's too harsh", "the sky is
    washed out, fix it" are one step each. A clause that refers back ("blur it")
    but names another op keeps the previous clause's region instead.
    """
    merged: list[Reading] = []
    for reading in readings:
        if not merged:
            merged.append(reading)
            continue
        last = merged[-1]
        a, b = last.clause, reading.clause
        same_op = last.spec is not None and reading.spec is not None and last.spec.name == reading.spec.name
        regions_fit = a.region is None or b.region is None or a.region == b.region
        weak = reading.spec is None or last.spec is None or not (reading.keyword and last.keyword)
        linked = (
            same_op
            or (weak and (b.refers_back or a.diagnosis or b.diagnosis))
            or (a.diagnosis and not b.diagnosis and b.refers_back and _same_axis(last, reading))
            or (b.diagnosis and b.refers_back and b.region is None)
        )
        if reading.spec is None and last.spec is not None and reading.clause.region is None:
            linked = True
        if regions_fit and linked and (last.spec is not None or reading.spec is not None):
            merged[-1] = _join(last, reading)
            continue
        if b.refers_back and b.region is None and a.region is not None and reading.spec is not None:
            b.region = a.region
        merged.append(reading)
    return merged


def _keyword(index: _Index, name: str, clause: Clause) -> bool:
    """Whether the clause names op ``name`` outright (questions read whole, edits without region words)."""
    pattern = index.keywords.get(name)
    if pattern is None:
        return False
    return bool(pattern.search(clause.text if name in lx.WHOLE_CLAUSE_KEYWORDS else clause.core))


def _same_axis(a: Reading, b: Reading) -> bool:
    """Whether two readings' ops move the same quality ("in shadow" and "lighten" both move light)."""
    if a.spec is None or b.spec is None:
        return False
    return lx.AXIS_GROUPS.get(a.spec.name, a.spec.name) == lx.AXIS_GROUPS.get(b.spec.name, b.spec.name)


def _join(a: Reading, b: Reading) -> Reading:
    """One reading from two: the op named by a keyword (the action's, if both are), action words first."""
    candidates = [r for r in (b, a) if r.spec is not None]
    keyworded = [r for r in candidates if r.keyword]
    pool = keyworded or candidates
    actions = [r for r in pool if r.action]
    chosen = (actions or pool)[0]
    first, second = (b, a) if b.action or not a.action else (a, b)
    clause = Clause(
        text=f"{first.clause.text}, {second.clause.text}",
        core=chosen.clause.core,
        region=a.clause.region or b.clause.region,
        question=a.clause.question or b.clause.question,
        diagnosis=a.clause.diagnosis and b.clause.diagnosis,
        refers_back=a.clause.refers_back,
    )
    return Reading(
        clause,
        chosen.spec,
        max(a.confidence, b.confidence),
        chosen.keyword,
        chosen.suggestions,
        f"{a.source}, {b.source}",
    )


class EmbeddedPlanner:
    """Plan instructions offline: rules plus all-MiniLM-L6-v2 embeddings of the op examples.

    Examples
    --------
    >>> planner = EmbeddedPlanner()
    >>> [s.op for s in planner.plan("too dark, and warm it up a bit").steps]
    ['brightness', 'temperature']
    """

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        self._original = ""

    def plan(self, text: str) -> Plan:
        """Turn an instruction into a Plan; raise :class:`PlanError` when nothing maps."""
        if not isinstance(text, str) or not text.strip():
            raise PlanError("the instruction is empty: say what to do, e.g. 'make it brighter'")
        normal = normalise(text)
        self._original = text
        # File names keep their case: the lower-cased clause finds them, the original spells them.
        self._files = {f.lower(): f for f in re.findall(lx.FILE_NAME, text, flags=re.IGNORECASE)}
        if re.search(lx.INJECTION, normal) or re.search(lx.INJECTION, text.lower()):
            raise PlanError(
                "that is not an image edit: Retouch only edits, restores and describes images and never "
                "runs commands or touches other files"
            )
        index = _index()
        readings: list[Reading] = []
        for raw in split_clauses(normal):
            clause = self._read(raw)
            if clause is None:
                continue
            if re.fullmatch(lx.MODIFIER_ONLY, clause.text):
                if readings:
                    readings[-1].clause.text += " " + clause.text
                continue
            if not clause.core:
                # "brighten the face and the background": a region alone repeats the last op.
                if clause.region and readings and readings[-1].spec is not None:
                    last = readings[-1]
                    readings.append(Reading(clause, last.spec, last.confidence, last.keyword, [], raw))
                    clause.text = last.clause.text
                continue
            if readings and readings[-1].clause.diagnosis and not re.match(lx.IMPERATIVE, clause.text):
                # "the shot is muddy and dark": a verbless clause after a diagnosis describes too.
                clause.text, clause.diagnosis = f"it is {clause.text}", True
            readings.append(self._choose(clause, index, raw))
        readings = _merge(readings)
        steps = [self._build(r) for r in readings if r.spec is not None]
        steps = [
            s
            for i, s in enumerate(steps)
            if i == 0 or (s.op, s.region) != (steps[i - 1].op, steps[i - 1].region)
        ]
        if not steps:
            unmatched = [r for r in readings if not re.fullmatch(lx.FILLER, r.clause.core)]
            raise PlanError(self._refusal(text, [r.suggestions for r in unmatched]))
        return Plan(steps)

    # -- reading a clause -------------------------------------------------------------------

    def _read(self, raw: str) -> Clause | None:
        text = re.sub(lx.POLITE_PREFIX, "", raw).strip()
        if not text or re.search(lx.NEGATION, text):
            return None
        asks = bool(re.search(lx.QUESTION_MARK, text)) and text == raw.strip()
        region, core = _region(text)
        core = re.sub(lx.PRONOUNS, " ", core)
        core = re.sub(r"\s+", " ", core).strip(" ,.?!")
        return Clause(
            text=text,
            core=core,
            region=region,
            question=bool(re.search(lx.QUESTION, text)),
            asks=asks,
            diagnosis=bool(re.search(lx.DIAGNOSIS, text)),
            refers_back=bool(re.search(lx.REFERS_BACK, text)),
        )

    def _scores(self, clause: Clause, index: _Index) -> tuple[np.ndarray, float]:
        """Per-op similarity (with keyword bonus) and the nearest off-topic similarity."""
        vector = SentenceEncoder.shared().encode([clause.core])[0]
        similarity = index.vectors @ vector
        best = np.full(len(index.names), -1.0, np.float32)
        np.maximum.at(best, index.example_ops, similarity)
        for number, name in enumerate(index.names):
            if _keyword(index, name, clause):
                best[number] += KEYWORD_BONUS
        return best, float((index.off_topic @ vector).max())

    def _choose(self, clause: Clause, index: _Index, source: str) -> Reading:
        scores, off_topic = self._scores(clause, index)
        understanding = [i for i, n in enumerate(index.names) if n in lx.UNDERSTANDING_OPS]
        if clause.asks and not clause.question:
            # "blurry?" asks; "make it warmer?" is an edit with a question mark.
            clause.question = not re.match(lx.IMPERATIVE, clause.text)
        if clause.question and understanding:
            allowed = np.full(len(index.names), False)
            allowed[understanding] = True
            scores = np.where(allowed, scores, -1.0)
        else:
            scores[understanding] -= KEYWORD_BONUS
        hits = [i for i, n in enumerate(index.names) if _keyword(index, n, clause) and scores[i] > 0]
        if len(hits) > 1 and any(index.specs[index.names[i]].kind != MACRO for i in hits):
            # A named repair beats the macro that would include it ("the scratches on this old print").
            for i in hits:
                if index.specs[index.names[i]].kind == MACRO:
                    scores[i] -= KEYWORD_BONUS
        hits = [i for i in hits if scores[i] > 0]
        if hits:
            # Words that name an op outright decide among themselves; meaning only breaks ties.
            named = np.full(len(index.names), False)
            named[hits] = True
            scores = np.where(named, scores, np.minimum(scores, scores[hits].min() - 1e-3))
        order = np.argsort(scores)[::-1]
        suggestions = [index.names[i] for i in order[:3]]
        name = index.names[int(order[0])]
        confidence = float(min(scores[order[0]], 1.0))
        keyword = _keyword(index, name, clause)
        colour = clause.region[6:] if clause.region and clause.region.startswith("color:") else None
        if colour and "saturation" in index.specs and (not keyword or re.search(rf"\b{colour}", clause.core)):
            # "make the greens pop", "tone down the oranges": a colour band's strength is its saturation.
            name, keyword = "saturation", True
        if clause.region in ("shadows", "highlights") and clause.region in index.specs:
            # "knock down the highlights", "detail in the shadows": the tonal op itself, unless
            # the words name another op ("less colour in the shadows").
            others = [n for n, p in index.keywords.items() if p.search(clause.core)]
            if not set(others) - {"brightness", "exposure", "sharpen", "contrast", clause.region}:
                name, keyword, confidence = clause.region, True, max(confidence, MIN_SIMILARITY)
        if clause.region == name:
            # The tonal region became the op: it no longer restricts it, nor a later "it".
            clause.region = None
        chosen: OpSpec | None = index.specs[name]
        weak = not keyword and (confidence < MIN_SIMILARITY or off_topic > confidence)
        if weak or confidence < MIN_CONFIDENCE:
            chosen = None
            if clause.question and "describe" in index.specs and re.search(lx.IMAGE_WORDS, clause.text):
                # Any other question about the picture is what describe answers.
                chosen, confidence = index.specs["describe"], max(confidence, MIN_CONFIDENCE)
        if chosen is None and not keyword and off_topic > confidence:
            suggestions = []  # nearer to requests that are not image edits: nothing to suggest
        return Reading(clause, chosen, confidence, keyword, suggestions, source)

    # -- building the step --------------------------------------------------------------------

    def _build(self, reading: Reading) -> Step:
        spec, clause = reading.spec, reading.clause
        assert spec is not None
        region = clause.region if spec.regional else None
        if region in ("shadows", "highlights") and spec.name in ("brightness", "exposure"):
            # "brighten them" after "the noise in the shadows" is the shadows op.
            spec, region = _index().specs[region], None
        params: dict[str, Any] = {}
        amount = self._amount(spec, clause, params)
        if spec.name == "generate":
            params["prompt"] = self._prompt(clause.text)
        for param in spec.params:
            named = re.search(lx.FILE_NAME, clause.text)
            if param.type == "path" and named:
                params[param.name] = self._files.get(named.group(0), named.group(0))
        implied = params.pop("region", None)
        if region is None and spec.regional:
            if spec.requires_region or (spec.name in _MASKABLE and re.search(lx.OBJECTS, clause.text)):
                region = "mask"
            else:
                region = implied
        return Step(
            spec.name, amount, region, params, source=reading.source, confidence=round(reading.confidence, 3)
        )

    def _amount(self, spec: OpSpec, clause: Clause, params: dict[str, Any]) -> float | None:
        """Amount and params from numbers, direction and intensity words."""
        text = clause.text
        scale = _scale(text)
        special = _SPECIAL_AMOUNTS.get(spec.name)
        if special is not None:
            return special(spec, text, params, scale)
        if spec.amount is None:
            return None
        rng = spec.amount
        if rng.minimum >= rng.neutral:
            # A strength only: direction words don't apply ("reduce the noise" is still denoise).
            magnitude = self._magnitude(spec, text, scale)
            return float(np.clip(magnitude, rng.neutral, rng.maximum))
        axis = lx.AXES.get(spec.name, lx.GENERIC_AXIS)
        sign = _polarity(text, axis)
        if sign == 0 and axis is not lx.GENERIC_AXIS:
            sign = _polarity(text, lx.GENERIC_AXIS)
        default_sign = 1 if rng.default >= rng.neutral else -1
        if sign == 0:
            sign = default_sign
        magnitude = self._magnitude(spec, text, scale)
        return float(np.clip(rng.neutral + sign * magnitude, rng.minimum, rng.maximum))

    @staticmethod
    def _magnitude(spec: OpSpec, text: str, scale: float) -> float:
        rng = spec.amount
        assert rng is not None
        span = max(rng.maximum - rng.neutral, rng.neutral - rng.minimum)
        percent = qty.parse_percent(text)
        if percent is not None:
            return abs(percent) / 100 * (span if span <= 1 else 1)
        slider = qty.parse_signed_slider(text)
        if slider is not None and span <= 1 and 1 < abs(slider) <= 100:
            return abs(slider) / 100
        return abs(rng.default - rng.neutral) * scale

    def _prompt(self, text: str) -> str:
        """What a generation request asks to see; a Chinese request is passed on as written."""
        if has_chinese(self._original):
            return self._original.strip()
        for pattern in lx.PROMPT:
            match = re.search(pattern, text)
            if match:
                return match.group(1).strip(" .,:;")
        return text.strip(" .,:;")

    @staticmethod
    def _refusal(text: str, unmatched: list[list[str]]) -> str:
        if not unmatched:
            return f"nothing in {text.strip()!r} maps to an image operation; try e.g. 'make it brighter'"
        suggestions: list[str] = []
        for ops in unmatched:
            suggestions.extend(o for o in ops if o not in suggestions)
        if not suggestions:
            return (
                f"{text.strip()!r} is not an image edit: Retouch edits, restores and describes images; "
                "try e.g. 'make it brighter' (`retouch ops` lists what it can do)"
            )
        return (
            f"nothing in {text.strip()!r} maps to an image operation; did you mean "
            + ", ".join(suggestions[:3])
            + "? (`retouch ops` lists them all)"
        )


# -- ops whose amount or params are read from the words ----------------------------------------


def _exposure(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float:
    stops = qty.parse_stops(text)
    sign = _polarity(text, lx.LIGHT_AXIS) or 1
    if stops is None:
        slider = qty.parse_signed_slider(text)
        if slider is not None and abs(slider) <= 5 and re.search(r"[+-]\s*\d", text):
            return float(slider)
        assert spec.amount is not None
        return float(sign * spec.amount.default * scale)
    if re.search(r"[+-]\s*\d", text) or re.search(r"\bminus\b", text):
        signed = stops if not re.search(r"\bminus\b", text) else -abs(stops)
        return float(np.clip(signed, spec.amount.minimum, spec.amount.maximum))
    return float(sign * abs(stops))


def _rotate(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float:
    degrees = qty.parse_degrees(text)
    straighten = re.search(r"straighten|\blevel\b|crooked|tilt|horizon|lean", text)
    if degrees is None:
        degrees = 1.5 if straighten else 90.0
    if straighten:
        params["fit"] = "crop"
    clockwise = re.search(r"(?<!counter)(?<!counter-)(?<!anti)(?<!anti-)clockwise|\bright\b|\bcw\b", text)
    counter = re.search(r"counter-?clockwise|anti-?clockwise|\bleft\b|\bccw\b", text)
    if counter:
        return abs(degrees)
    if clockwise:
        return -abs(degrees)
    return degrees if re.search(r"-\s*\d", text) else abs(degrees)


def _flip(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> None:
    if re.search(r"vertical|upside|top to bottom|top-to-bottom|up and down", text):
        params["direction"] = "vertical"
    else:
        params["direction"] = "horizontal"
    return None


def _crop(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> None:
    aspect = qty.parse_aspect(text)
    if aspect is not None:
        params["aspect"] = aspect
    if re.search(r"subject|important|smart|content|around", text):
        params["anchor"] = "content"
    return None


def _resize(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> None:
    size = qty.parse_size(text)
    if size:
        params.update(size)
        return None
    percent = qty.parse_percent(text)
    factor = percent / 100 if percent is not None and percent > 0 else qty.parse_factor(text)
    if factor is None and re.search(r"smaller|shrink|downsiz|reduce|down", text):
        factor = 0.5
    if factor is not None:
        params["scale"] = factor
    return None


def _upscale(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float | None:
    factor = qty.parse_factor(text)
    names = {p.name for p in spec.params}
    if factor is not None and factor > 1:
        if "factor" in names:
            params["factor"] = round(factor) if factor.is_integer() else factor
        elif spec.amount is not None:
            return float(np.clip(factor, spec.amount.minimum, spec.amount.maximum))
    return None if spec.amount is None else spec.amount.default


def _stylize(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float | None:
    styles = {p.name: p for p in spec.params}.get("style")
    choices = styles.choices if styles else ()
    wanted = (
        ("color_pencil", r"colou?r(ed)? pencil"),
        ("pencil", r"pencil|sketch|drawing|drawn|line art"),
        ("cartoon", r"cartoon|comic|anime|toon"),
        ("oil", r"\boil\b|van gogh|brush ?strokes|impasto|painted|painting"),
        ("watercolor", r"watercolou?r|wash"),
    )
    for style, pattern in wanted:
        if style in choices and re.search(pattern, text):
            params["style"] = style
            break
    if re.search(r"\bwatercolou?r", text) and "watercolor" in choices:
        params["style"] = "watercolor"
    return None if spec.amount is None else float(np.clip(spec.amount.default * min(scale, 1.0), 0, 1))


def _blur(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float | None:
    if re.search(r"motion|moving|speed|streak", text):
        params["kind"] = "motion"
    elif re.search(r"bokeh|lens", text):
        params["kind"] = "lens"
    if re.search(r"bokeh|depth of field|portrait|\bdof\b|out of focus|defocus", text):
        params["region"] = "background"
    sigma = re.search(r"(\d+(?:\.\d+)?)\s*(?:px|pixels?)\b", text)
    if sigma:
        params["sigma"] = float(sigma.group(1))
    assert spec.amount is not None
    return float(np.clip(spec.amount.default * scale, spec.amount.neutral, spec.amount.maximum))


def _hue(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float:
    degrees = qty.parse_degrees(text)
    if degrees is None:
        slider = qty.parse_signed_slider(text)
        degrees = slider if slider is not None else 30.0 * scale
    if re.search(r"other way|backwards?|negative|minus", text):
        degrees = -abs(degrees)
    return float(np.clip(degrees, -180, 180))


def _vignette(spec: OpSpec, text: str, params: dict[str, Any], scale: float) -> float:
    assert spec.amount is not None
    remove = re.search(r"remove|get rid|fix|too dark|less|reduce", text)
    white = re.search(r"white|lighten|lighter|brighten|bright", text)
    magnitude = abs(spec.amount.default) * scale
    percent = qty.parse_percent(text)
    if percent is not None:
        magnitude = abs(percent) / 100
    sign = 1 if (white or remove) else -1
    return float(np.clip(sign * magnitude, -1, 1))


# Ops that act on a painted mask when the words name an object no provider finds.
_MASKABLE = ("blur", "pixelate", "inpaint")

_SPECIAL_AMOUNTS = {
    "exposure": _exposure,
    "rotate": _rotate,
    "flip": _flip,
    "crop": _crop,
    "resize": _resize,
    "upscale": _upscale,
    "stylize": _stylize,
    "blur": _blur,
    "hue": _hue,
    "vignette": _vignette,
}


if __name__ == "__main__" and sys.argv[1:] == ["--refresh"]:
    for written in refresh_packaged_embeddings():
        print(written)
