"""Old-photo restoration: look at a scan, decide the repairs, run them, report them.

:func:`restore_steps` is the body of the ``restore_old_photo`` macro. It
measures the scan and expands into concrete steps, in this order:

1. ``remove_scratches`` and ``remove_dust`` when the detectors of
   :mod:`retouch.scratches` find any, measured on a full-resolution central
   window of at most :data:`SAMPLE_SIDE` px (damage is thin, so it must be
   looked for at full resolution; the window keeps the look cheap on a big
   scan, and the ops themselves search the whole image);
2. ``denoise`` when the grain measured by :func:`retouch.analyze.estimate_noise`
   is above its target range, at that sigma: block matching (``"best"``) up
   to :data:`BEST_DENOISE_PIXELS`, the sliding-DCT filter (``"fast"``, about
   1.4 dB lower, 0.1 s per MP against 6.5) above, so a 24 MP scan stays within a minute;
3. the tonal and colour steps that :func:`retouch.enhance.enhance_steps`
   chooses for the scan (its measure-try-measure loop), keeping those a
   restoration needs: ``white_balance`` for the cast of a faded colour
   print, ``levels`` and ``contrast`` for faded tones. A toned monochrome
   print (sepia, selenium) is recognised and keeps its tone;
4. a mild ``sharpen``, weaker on a grainy scan.

Each action is reported with the measurement that called for it.
:func:`restore` runs the macro and adds each action's before and after
measurements to the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retouch.analyze import TARGETS, assess, central_crop, colourfulness, estimate_noise, thumbnail
from retouch.engine import Progress
from retouch.ops.registry import Expansion
from retouch.plans import Step
from retouch.result import Result

SAMPLE_SIDE = 1536
# Block-matching denoise takes about 6.5 s per MP on two cores; larger scans use the fast filter.
BEST_DENOISE_PIXELS = 4_000_000
# Fraction of the sampled window flagged before a cleanup step is added (a few pixels are chance).
MIN_DAMAGE = 2e-5
# Ops of auto_enhance's choice that a restoration keeps.
TONAL_OPS = ("white_balance", "levels", "contrast")
MILD_SHARPEN = 0.4
# Below this spread of chroma around its mean hue (0-255 opponent units), colour is one tone.
TONED_SPREAD = 4.0


def toned_monochrome(image: np.ndarray) -> bool:
    """Whether a float RGB image is a monochrome print with one tone (sepia, cyanotype, selenium).

    The opponent colours (R - G, (R + G) / 2 - B) of such a print lie along
    a single direction from grey; a colour photo's spread around the mean
    colour is wide in every direction.
    """
    small = thumbnail(image, 256).reshape(-1, 3).astype(np.float64) * 255
    opponent = np.stack([small[:, 0] - small[:, 1], 0.5 * (small[:, 0] + small[:, 1]) - small[:, 2]], 1)
    mean = opponent.mean(axis=0)
    norm = float(np.hypot(*mean))
    if norm < 1e-6:
        return colourfulness(thumbnail(image, 256)) < TONED_SPREAD
    across = opponent @ np.array([-mean[1], mean[0]]) / norm
    return float(across.std()) < TONED_SPREAD


def measure_damage(image: np.ndarray) -> dict[str, float]:
    """Percent of pixels flagged as scratches and as dust in a central full-resolution window."""
    from retouch.damage_evidence import damage_planes
    from retouch.scratches import detect_damage

    scratches, dust = detect_damage(*damage_planes(central_crop(image, SAMPLE_SIDE)))
    return {
        "scratches_percent": round(100 * float(scratches.mean()), 4),
        "dust_percent": round(100 * float(dust.mean()), 4),
    }


def restore_steps(image: np.ndarray, strength: float = 1.0) -> Expansion:
    """Decide the steps that restore an old photo.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        The full-resolution scan in [0, 1] (as the engine hands it to a macro).
    strength : float
        In [0, 1]; every step's amount is scaled by it; 0 gives no steps.

    Returns
    -------
    Expansion
        ``steps`` to run; ``details["actions"]``: one record per step with
        ``op``, ``why`` and the ``measurement`` behind it;
        ``details["measurements"]``: everything measured.
    """
    from retouch.enhance import enhance_steps

    if strength <= 0:
        return Expansion([], {"actions": [], "measurements": {}, "stopped": "strength 0: nothing to do"})
    damage = measure_damage(image)
    noise = estimate_noise(image)
    values = assess(image, noise=noise)
    toned = toned_monochrome(image)
    measurements = {**damage, **values, "toned_monochrome": toned}
    steps: list[Step] = []
    actions: list[dict[str, Any]] = []

    def add(step: Step, why: str, measured: dict[str, Any]) -> None:
        steps.append(step)
        actions.append({**step.to_dict(), "why": why, "measurement": measured})

    for op, key, what in (
        ("remove_scratches", "scratches_percent", "scratches"),
        ("remove_dust", "dust_percent", "dust"),
    ):
        if damage[key] / 100 > MIN_DAMAGE:
            add(
                Step(op, round(strength, 3)),
                f"{what} on {damage[key]:.3f} % of the sampled pixels",
                {key: damage[key]},
            )
    if TARGETS["noise"].excess(noise) > 0:
        quality = "best" if image.shape[0] * image.shape[1] <= BEST_DENOISE_PIXELS else "fast"
        why = f"grain sigma {noise:.1f} > {TARGETS['noise'].high:g}"
        add(
            Step("denoise", round(strength, 3), params={"sigma": round(noise, 2), "quality": quality}),
            why,
            {"noise": round(noise, 3)},
        )
    tonal = enhance_steps(image, strength)
    decisions = [
        d for r in tonal.details["rounds"] if r["kept"] for d in r["decisions"] if "skipped" not in d
    ]
    for decision in decisions:
        if decision["op"] not in TONAL_OPS:
            continue
        if decision["op"] == "white_balance" and toned:
            actions.append({"op": "white_balance", "skipped": "a toned monochrome print keeps its tone"})
            continue
        step = Step(decision["op"], decision["amount"], params=decision["params"])
        keys = {"white_balance": ("cast", "cast_a", "cast_b"), "levels": ("black_point", "white_point")}
        measured = {k: values[k] for k in keys.get(decision["op"], ("rms_contrast", "contrast_spread"))}
        add(step, decision["why"], measured)
    # Grain left after denoising would be sharpened too: gentler then.
    sharpen = MILD_SHARPEN * strength * (0.5 if TARGETS["noise"].excess(noise) > 0 else 1.0)
    add(Step("sharpen", round(sharpen, 3)), "mild sharpening of a soft scan", {"blur": values["blur"]})
    return Expansion(steps, {"actions": actions, "measurements": measurements})


def _after(image: np.ndarray) -> dict[str, Any]:
    noise = estimate_noise(image)
    return {**measure_damage(image), **assess(image, noise=noise)}


def restore(
    image: Any, *, strength: float = 1.0, max_pixels: int | None = None, progress: Progress | None = None
) -> Result:
    """Restore an old photo: scratches, dust, grain, faded tones and colour, softness.

    Runs the ``restore_old_photo`` macro through :func:`retouch.apply`.
    ``result.report["actions"]`` lists each action that ran with why, its
    measurement ``before`` and ``after``; the plan that ran replays with
    ``retouch apply``.

    Parameters
    ----------
    image : path, PIL.Image or ndarray
        RGB, RGBA or grey; uint8, uint16 or float in [0, 1]. Never modified.
    strength : float
        In [0, 1]; 1 (default) is the full repair, 0 changes nothing.
    max_pixels : int, optional
        Pixel-count limit for loading (default 200 MP).
    progress : callable, optional
        ``progress(done, total, description)``, as for :func:`retouch.apply`.

    Returns
    -------
    Result

    Examples
    --------
    >>> import retouch
    >>> from skimage import data
    >>> from retouch.aging import age_photo
    >>> result = retouch.restore(age_photo(data.camera(), seed=0).image)
    >>> [a["op"] for a in result.report["actions"]][:2]
    ['remove_scratches', 'remove_dust']
    """
    from retouch.analyze import to_rgb_float
    from retouch.api import apply

    plan = {"steps": [{"op": "restore_old_photo", "amount": strength}]}
    result = apply(image, plan, max_pixels=max_pixels, progress=progress)
    macro = next(record for record in result.report["steps"] if record["op"] == "restore_old_photo")
    after = _after(to_rgb_float(result.array[..., :3] if result.array.ndim == 3 else result.array[..., None]))
    actions = []
    for action in macro["details"]["actions"]:
        measured = action.get("measurement", {})
        actions.append({**action, "before": measured, "after": {k: after[k] for k in measured if k in after}})
    result.report["actions"] = actions
    result.report["measurements"] = {"before": macro["details"]["measurements"], "after": after}
    return result
