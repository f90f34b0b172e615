"""Automatic enhancement: measure, plan, run, measure again.

:func:`enhance_steps` is the body of the ``auto_enhance`` macro. It works on
a *proxy*, the photo reduced to at most :data:`PROXY_PIXELS`, so that a
24 MP photo costs little more to plan than a 1 MP one. Each round:

1. measures the proxy (:func:`retouch.analyze.assess`). Noise is measured on
   the full-resolution photo, where it is not averaged away, and the denoise
   step gets that sigma;
2. runs the :data:`STAGES` in order (denoise, white balance, dehaze,
   levels, exposure, shadows, contrast, vibrance, sharpen). A stage whose
   measurement is outside its :data:`~retouch.analyze.TARGETS` range
   chooses a step and an amount that brings it back towards the range's
   aim; the step is tried on the proxy, refused if it would drive more
   than :data:`CLIPPING_TOLERANCE` of the pixels to black or white, and
   otherwise kept, and the proxy is measured again before the next stage
   decides;
3. is kept if it brought the measurements closer to their targets (the
   summed excess, :func:`retouch.analyze.excess`), and undone otherwise.

The loop ends when every measurement is in range, when a round finds
nothing it can fix, when a round does not help, or after :data:`MAX_ROUNDS`.
A value inside its range is never corrected, so a photo whose measurements
are all in range gets no step and comes back unchanged.

The steps of all kept rounds are returned as concrete Plan steps, which the
engine runs once at full resolution and which replay on other photos.
Spatial ops scale their radii with the image size, so the proxy's choices
hold for the full photo.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from retouch.analyze import TARGETS, assess, estimate_noise, excess, to_rgb_float
from retouch.colorspace import srgb_to_linear
from retouch.engine import Progress, apply_point_ops
from retouch.filters import shrink
from retouch.ops.registry import POINT, Expansion, get_spec
from retouch.ops.tone import white_balance_gains
from retouch.plans import Plan, Step
from retouch.result import Result

PROXY_PIXELS = 1_000_000
MAX_ROUNDS = 3
# A round must lower the total excess (in target-scale units) by more than this to count.
MIN_IMPROVEMENT = 0.005
# A step may drive at most this fraction of the pixels to black or white (see _newly_clipped).
CLIPPING_TOLERANCE = 0.003
# Ops that run at most once: a second pass would re-estimate from their own output.
ONCE = frozenset({"denoise", "white_balance", "dehaze", "sharpen", "shadows", "contrast"})
# Log-average luminance of a typically exposed photo, in stops from 18 % grey (the
# mean over the packaged sample photos), one of the cues for over-exposure.
TYPICAL_KEY_EV = -0.6
# Fraction of an estimated colour cast that white balance removes (see _white_balance).
WHITE_BALANCE_FRACTION = 0.7
# Below this RMS contrast (of luma, 0-1) a picture is a uniform card with nothing to enhance.
UNIFORM_RMS = 0.005
# Dehaze amounts to try, strongest first (see _dehaze).
DEHAZE_AMOUNTS = (1.0, 0.85, 0.7, 0.55)
# Levels stretches between these percentiles of the darkest and brightest channel.
_STRETCH_PERCENTILES = (0.02, 99.98)


@dataclass
class _Decision:
    """A stage's choice: the step for the full image, the one for the proxy, and why."""

    step: Step
    reason: str
    proxy_step: Step | None = None


@dataclass
class _State:
    """What the stages see: the proxy so far, its measurements, and what has run."""

    proxy: np.ndarray
    values: dict[str, float]
    scale: float
    strength: float
    clipped: np.ndarray  # pixels clipped in the input, whose colour the cast estimate must ignore
    done: set[str]  # ops run so far
    input_white: float = 1.0  # white point of the input

    def measure(self, proxy: np.ndarray) -> dict[str, float]:
        return assess(proxy, noise=self.values["noise"], ignore=self.clipped)


Stage = Callable[[_State], _Decision | None]


def _run_step(image: np.ndarray, step: Step) -> np.ndarray:
    """Run one whole-image step on a float32 RGB image as the engine does."""
    spec = get_spec(step.op)
    if spec.kind == POINT:
        return apply_point_ops(image, [step])
    params = {**spec.defaults(), **step.params}
    return np.clip(spec.func(image, step.amount, **params), 0.0, 1.0)


def _scaled_step(op: str, amount: float | None, params: dict[str, Any], strength: float) -> Step:
    """A step whose effect is ``strength`` (0..1) of the full correction, validated."""
    if op == "levels":
        params = {
            "black": params.get("black", 0.0) * strength,
            "white": 1.0 - (1.0 - params.get("white", 1.0)) * strength,
        }
    elif amount is not None:
        neutral = get_spec(op).amount.neutral
        amount = neutral + (amount - neutral) * strength
    step = Step(
        op,
        None if amount is None else round(float(amount), 4),
        params={k: round(float(v), 4) if isinstance(v, float) else v for k, v in params.items()},
    )
    Plan([step]).validate()
    return step


def _out(state: _State, key: str) -> float:
    return TARGETS[key].excess(state.values[key])


# --------------------------------------------------------------------------- stages


def _denoise(state: _State) -> _Decision | None:
    """Noise above range: the fast DCT denoiser at the noise level measured at full resolution."""
    sigma = state.values["noise"]
    if _out(state, "noise") == 0:
        return None
    # The fast denoiser (no block matching) keeps a 24 MP photo within the time budget.
    step = _scaled_step("denoise", 1.0, {"sigma": round(sigma, 2), "quality": "fast"}, state.strength)
    # Area downscaling by s averages white noise over s x s pixels.
    proxy = Step("denoise", step.amount, params={"sigma": round(sigma / state.scale, 3), "quality": "fast"})
    return _Decision(step, f"noise sigma {sigma:.1f} > {TARGETS['noise'].high:g} (full resolution)", proxy)


def _white_balance(state: _State) -> _Decision | None:
    """Colour cast above range: grey-edge white balance, removing most of the estimated cast.

    The estimate mistakes part of the scene's own colour (a wooden table, an
    orange cat) for the light, so removing all of it overshoots into the
    opposite cast; removing :data:`WHITE_BALANCE_FRACTION` of it (in log
    gains) errs towards the photo's own mood.
    """
    cast = state.values["cast"]
    if _out(state, "cast") == 0:
        return None
    # The measured gains go into the step, so that the plan replays the same correction elsewhere.
    gains = [round(float(g), 4) for g in white_balance_gains(state.proxy)]
    step = _scaled_step("white_balance", WHITE_BALANCE_FRACTION, {"gains": gains}, state.strength)
    a, b = state.values["cast_a"], state.values["cast_b"]
    return _Decision(step, f"colour cast {cast:.1f} (a* {a:+.1f}, b* {b:+.1f}) > {TARGETS['cast'].high:g}")


def _levels(state: _State) -> _Decision | None:
    """Black point too high or white point too low: stretch the range (levels).

    The ends of the range are read at extreme percentiles of the darkest and
    brightest channel, so that hardly a pixel clips, and moved to the
    targets' aims (black and white); where only one end is out of range, the
    other keeps black at black or white at white. The white end goes to its
    aim only when the input's was too low as well (an under-exposed or flat
    photo); when an earlier step lowered it (white balance takes light from
    the strongest channel), it goes back to where it was in the input, so a
    photo without white objects is not brightened.
    """
    fix_black, fix_white = _out(state, "black_point") > 0, _out(state, "white_point") > 0
    if "exposure" in state.done:
        # The top is clipped light that the exposure step darkened on purpose.
        fix_white = False
    if not (fix_black or fix_white):
        return None
    low, high = (float(v) for v in np.percentile(state.proxy, _STRETCH_PERCENTILES))
    if high - low < 0.05:
        return None
    aim_black = TARGETS["black_point"].aim
    input_white_ok = TARGETS["white_point"].excess(state.input_white) == 0
    aim_white = state.input_white if input_white_ok else TARGETS["white_point"].aim
    # Levels maps ``black`` to 0 and ``white`` to 1, linearly; an end that is not fixed keeps 0 or 1.
    if fix_black and fix_white:
        span = (high - low) / (aim_white - aim_black)
        black = low - aim_black * span
        white = black + span
    elif fix_black:
        black, white = (low - aim_black) / (1.0 - aim_black), 1.0
    else:
        black, white = 0.0, high / aim_white
    params = {"black": max(0.0, black), "white": min(1.0, white)}
    step = _scaled_step("levels", None, params, state.strength)
    why = []
    if fix_black:
        why.append(f"black point {state.values['black_point']:.3f} > {TARGETS['black_point'].high:g}")
    if fix_white:
        why.append(f"white point {state.values['white_point']:.3f} < {TARGETS['white_point'].low:g}")
    return _Decision(step, "; ".join(why))


def _exposure(state: _State) -> _Decision | None:
    """Clipped highlights: lower the exposure by the stops that two cues suggest.

    Over-exposure by k stops piles the pixels of the k stops above white into
    the clipped bin, so the clipped fraction over the density of pixels in
    the stop just below white estimates k; and it raises the log-average
    luminance by k, so its excess over the typical key is a second estimate.
    Either alone is easily fooled by a scene (a white wall, a dark room);
    their mean is steadier. One round corrects between a quarter stop and
    one stop: the clipped light is gone, and a larger guess does more harm
    when it is wrong than good when it is right.
    """
    clipped = state.values["highlight_clipping"]
    if _out(state, "highlight_clipping") == 0:
        return None
    linear = srgb_to_linear(state.proxy.max(axis=2))
    white = srgb_to_linear(0.99)
    below = float(np.mean((linear >= white / 2) & (linear < white)))
    if below < 0.01:
        return None  # nothing but clipped light and shadow: no scale to estimate from
    from_clipping = clipped / max(below, 1e-3)
    from_key = max(0.0, state.values["exposure_ev"] - TYPICAL_KEY_EV)
    stops = min(1.0, max(0.25, 0.5 * (from_clipping + from_key)))
    step = _scaled_step("exposure", -stops, {}, state.strength)
    limit = 100 * TARGETS["highlight_clipping"].high
    return _Decision(step, f"{100 * clipped:.1f} % of pixels clipped > {limit:g} %")


def _dehaze(state: _State) -> _Decision | None:
    """Haze above range while white is still near white: dark-channel dehaze.

    Haze adds bright light, lifting the dark channel but not the white
    point; a photo whose whole range is squeezed (white low as well) is flat,
    not hazy, and is left to levels, and one with clipped highlights is
    over-exposed, which lifts the dark channel too, and is left to exposure
    (a later round dehazes if haze remains). This stage runs before levels,
    which would otherwise lower the black point uniformly, although haze is
    thicker with distance.
    """
    haze = state.values["haze"]
    if _out(state, "haze") == 0 or _out(state, "white_point") > 0 or _out(state, "highlight_clipping") > 0:
        return None
    # Full removal brightens what lies in front of the haze, up to white: the strongest
    # amount that clips no more than the loop tolerates.
    for amount in DEHAZE_AMOUNTS:
        step = _scaled_step("dehaze", amount, {}, state.strength)
        if _newly_clipped(state.proxy, _run_step(state.proxy, step)) <= CLIPPING_TOLERANCE:
            break
    return _Decision(step, f"haze (dark channel) {haze:.3f} > {TARGETS['haze'].high:g}")


def _shadows(state: _State) -> _Decision | None:
    """Very dark overall with the range already full: lift the shadows locally.

    At amount 1 the op lifts the deepest shadows by 2 stops and less further
    up, so a third of the stops missing is a gentle start; a dark scene
    (night, a cellar) should stay dark, and lifting amplifies noise.
    """
    ev = state.values["exposure_ev"]
    if ev >= TARGETS["exposure_ev"].low:
        return None
    amount = min(0.5, (TARGETS["exposure_ev"].aim - ev) / 3.0)
    step = _scaled_step("shadows", amount, {}, state.strength)
    return _Decision(step, f"exposure {ev:+.2f} EV < {TARGETS['exposure_ev'].low:g}")


def _vibrance(state: _State) -> _Decision | None:
    """Dull colours: vibrance (spares skin and colours that are already vivid)."""
    colour = state.values["colourfulness"]
    if "colourfulness" not in excess(state.values):
        return None
    # Vibrance scales muted chroma by up to 3 ** amount.
    amount = min(1.0, math.log(TARGETS["colourfulness"].aim / colour) / math.log(3.0))
    step = _scaled_step("vibrance", amount, {}, state.strength)
    return _Decision(step, f"colourfulness {colour:.1f} < {TARGETS['colourfulness'].low:g}")


def _contrast(state: _State) -> _Decision | None:
    """Flat tones although the range is full (a few pixels reach black and white): an S-curve."""
    rms = state.values["rms_contrast"]
    if rms >= TARGETS["rms_contrast"].low or _out(state, "contrast_spread") == 0:
        return None
    amount = min(0.6, TARGETS["rms_contrast"].aim / rms - 1.0)
    step = _scaled_step("contrast", amount, {}, state.strength)
    return _Decision(step, f"RMS contrast {rms:.3f} < {TARGETS['rms_contrast'].low:g}")


def _sharpen(state: _State) -> _Decision | None:
    """Soft at viewing size and not noisy: an unsharp mask, stronger the softer the photo."""
    if _out(state, "blur") == 0 or state.values["noise"] > TARGETS["noise"].high:
        return None
    amount = min(2.0, 1.0 + 4.0 * (state.values["blur"] - TARGETS["blur"].high))
    step = _scaled_step("sharpen", amount, {}, state.strength)
    return _Decision(step, f"blur metric {state.values['blur']:.2f} > {TARGETS['blur'].high:g}")


# Order matters: noise first (stretching tones would amplify it), then colour, haze (which
# varies with distance, unlike the uniform black point levels would set), the tonal range,
# exposure, local tone, colour richness and detail last.
STAGES: tuple[Stage, ...] = (
    _denoise,
    _white_balance,
    _dehaze,
    _levels,
    _exposure,
    _shadows,
    _contrast,
    _vibrance,
    _sharpen,
)


# --------------------------------------------------------------------------- the loop


def _proxy(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image reduced to at most PROXY_PIXELS, and the linear reduction factor."""
    scale = max(1.0, math.sqrt(image.shape[0] * image.shape[1] / PROXY_PIXELS))
    return shrink(image, scale), scale


def _score(values: dict[str, float]) -> float:
    return float(sum(excess(values).values()))


def _newly_clipped(before: np.ndarray, after: np.ndarray) -> float:
    """Fraction of pixels that a step drove to black or white from any other level.

    Pixels already at the darkest or brightest level of ``before`` do not
    count: stretching an under-exposed photo's top back to white loses
    nothing. Levels are compared as they would be stored in 8 bits.
    """
    peak_in, peak_out = before.max(axis=2), after.max(axis=2)
    floor_in, floor_out = before.min(axis=2), after.min(axis=2)
    half_level = 0.5 / 255
    white = (peak_out >= 1 - half_level) & (peak_in < peak_in.max() - half_level)
    black = (floor_out <= half_level) & (floor_in > floor_in.min() + half_level)
    return float(np.mean(white | black))


def _run_round(state: _State) -> tuple[list[Step], list[dict[str, Any]]]:
    """One round of stages on ``state`` (updated in place); returns its steps and their records."""
    steps: list[Step] = []
    records: list[dict[str, Any]] = []
    for stage in STAGES:
        decision = stage(state)
        if decision is None or decision.step.op in state.done & ONCE:
            continue
        record = {**decision.step.to_dict(), "why": decision.reason}
        proxy = _run_step(state.proxy, decision.proxy_step or decision.step)
        # Denoising averages input values, so it cannot clip; it only settles noise on black or white.
        newly_clipped = 0.0 if decision.step.op == "denoise" else _newly_clipped(state.proxy, proxy)
        if newly_clipped > CLIPPING_TOLERANCE:
            records.append({**record, "skipped": f"would clip {100 * newly_clipped:.1f} % of the pixels"})
            continue
        values = state.measure(proxy)
        if decision.step.op == "denoise":
            values["noise"] = round(estimate_noise(proxy) * state.scale, 4)
        state.done.add(decision.step.op)
        steps.append(decision.step)
        records.append(record)
        state.proxy, state.values = proxy, values
    return steps, records


def enhance_steps(image: np.ndarray, strength: float = 1.0) -> Expansion:
    """Decide, by measuring and trying on a proxy, the steps that enhance ``image``.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        The full-resolution photo in [0, 1] (as the engine hands it to a macro).
    strength : float
        In [0, 1]: every correction is this fraction of the full one; 0 gives
        no steps.

    Returns
    -------
    Expansion
        ``steps``: the concrete steps of all kept rounds, for the full
        image. ``details``: ``rounds`` (each with its ``plan``, its
        ``decisions`` (each step with ``why``, and ``skipped`` where it
        was tried and refused), the ``before`` and ``after`` measurements,
        what was out of range before and after, the ``improvement`` and
        whether the round was ``kept``), ``stopped`` (why the loop ended),
        ``proxy`` size and ``targets``.
    """
    targets = {key: [t.low, t.high] for key, t in TARGETS.items()}
    if strength <= 0:
        return Expansion([], {"rounds": [], "stopped": "strength 0: nothing to do", "targets": targets})
    image = to_rgb_float(image) if image.dtype != np.float32 or image.shape[2] != 3 else image
    proxy, scale = _proxy(image)
    clipped = proxy.max(axis=2) >= 0.98  # as the white_balance op judges it
    state = _State(proxy, {"noise": estimate_noise(image)}, scale, strength, clipped, set())
    state.values = state.measure(proxy)
    state.input_white = state.values["white_point"]
    steps: list[Step] = []
    rounds: list[dict[str, Any]] = []
    stopped = f"round limit ({MAX_ROUNDS}) reached"
    for number in range(1, MAX_ROUNDS + 1):
        before, before_proxy, before_done = state.values, state.proxy, set(state.done)
        if not excess(before):
            stopped = "all measurements in their target ranges"
            break
        if before["rms_contrast"] < UNIFORM_RMS:
            stopped = "a uniform picture: nothing to enhance"
            break
        round_steps, records = _run_round(state)
        after = state.values
        improvement = _score(before) - _score(after)
        kept = bool(round_steps) and improvement > MIN_IMPROVEMENT
        rounds.append(
            {
                "round": number,
                "plan": Plan(round_steps).to_dict()["steps"],
                "decisions": records,
                "before": before,
                "after": after,
                "out_of_target_before": excess(before),
                "out_of_target_after": excess(after),
                "improvement": round(improvement, 3),
                "kept": kept,
            }
        )
        if not round_steps:
            stopped = "nothing left that a step can fix: " + ", ".join(excess(before))
            break
        if not kept:
            state.proxy, state.values, state.done = before_proxy, before, before_done
            stopped = f"round {number} did not bring the measurements closer to their targets; undone"
            break
        steps.extend(round_steps)
        if not excess(after):
            stopped = "all measurements in their target ranges"
            break
    details = {
        "rounds": rounds,
        "stopped": stopped,
        "proxy": {"width": int(proxy.shape[1]), "height": int(proxy.shape[0]), "scale": round(scale, 3)},
        "targets": targets,
    }
    return Expansion(steps, details)


def auto_enhance(
    image: Any, *, strength: float = 1.0, max_pixels: int | None = None, progress: Progress | None = None
) -> Result:
    """Enhance a photo automatically: measure, correct, measure again.

    Runs the ``auto_enhance`` macro through :func:`retouch.apply`. The
    returned plan holds the concrete steps that ran, so it can be replayed
    on this or other photos; ``result.report["rounds"]`` tells what each
    round measured, did and why the loop stopped
    (``result.report["stopped"]``).

    Parameters
    ----------
    image : path, PIL.Image or ndarray
        RGB, RGBA or grey; uint8, uint16 or float in [0, 1]. Never modified.
    strength : float
        In [0, 1]; 1 (default) is the full correction, 0 changes nothing.
    max_pixels : int, optional
        Pixel-count limit for loading (default 200 MP).
    progress : callable, optional
        ``progress(done, total, description)``, as for :func:`retouch.apply`.

    Returns
    -------
    Result

    Examples
    --------
    >>> import numpy as np, retouch
    >>> from skimage import data
    >>> dark = (data.coffee() * 0.6).astype(np.uint8)
    >>> result = retouch.auto_enhance(dark)
    >>> result.array.mean() > dark.mean(), result.report["stopped"] != ""
    (True, True)
    """
    from retouch.api import apply

    plan = {"steps": [{"op": "auto_enhance", "amount": strength}]}
    result = apply(image, plan, max_pixels=max_pixels, progress=progress)
    macro = next(record for record in result.report["steps"] if record["op"] == "auto_enhance")
    result.report["rounds"] = macro["details"]["rounds"]
    result.report["stopped"] = macro["details"]["stopped"]
    return result
