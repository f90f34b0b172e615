"""Macro ops: they look at the image and expand into concrete steps at run time.

The engine hands a macro the full-resolution image, runs the steps it
returns like any others and reports them (and the macro's ``details``) under
the macro's step, so the plan of a run always shows what really ran.
"""

from __future__ import annotations

import numpy as np

from retouch.ops.registry import MACRO, Amount, Expansion, op


@op(
    "auto_enhance",
    kind=MACRO,
    description="Fix the photo automatically: measure exposure, colour, noise and haze, correct, repeat.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the full correction"),
    examples=(
        "fix this photo",
        "make it look better",
        "enhance",
        "auto enhance",
        "auto fix",
        "improve the picture",
        "can you make this photo nicer",
        "one-click fix",
        "correct the photo automatically",
        "just make it look good",
        "the photo looks bad, fix it",
        "auto adjust the colors and exposure",
        "a light automatic touch-up",
    ),
)
def auto_enhance(image: np.ndarray, amount: float) -> Expansion:
    """Expand into the steps that bring the photo's measurements into their target ranges.

    See :func:`retouch.enhance.enhance_steps`: measure on a proxy, choose
    steps (denoise, white balance, levels, exposure, dehaze, shadows,
    contrast, vibrance, sharpen), try them, measure again, for a few rounds.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        The full-resolution image in [0, 1].
    amount : float
        Strength in [0, 1]; 0 expands to no steps.

    Returns
    -------
    Expansion
    """
    from retouch.enhance import enhance_steps

    return enhance_steps(image, amount)


@op(
    "restore_old_photo",
    kind=MACRO,
    description="Restore an old or damaged photo: scratches, dust, grain, faded tones and colour, softness.",
    amount=Amount(0.0, 1.0, neutral=0.0, default=1.0, unit="fraction of the full repair"),
    examples=(
        "restore this old photo",
        "fix this old damaged picture",
        "repair my grandparents' photo",
        "restore the old scan",
        "this vintage print is faded and scratched, fix it",
        "bring this old family photo back to life",
        "clean up and restore the old photograph",
        "old photo restoration",
        "the print is faded, dusty and scratched",
        "repair the damage on this antique photo",
        "make this faded old picture look new again",
        "restore the old black and white photo",
    ),
)
def restore_old_photo(image: np.ndarray, amount: float) -> Expansion:
    """Expand into the repairs an old scan needs, each with the measurement behind it.

    See :func:`retouch.restoration.restore_steps`: scratches and dust where
    the detectors find them, denoise when grainy, white balance for a faded
    colour print's cast (not for a toned monochrome one), levels and
    contrast for faded tones, a mild sharpen.

    Parameters
    ----------
    image : (H, W, 3) float32 array
        The full-resolution scan in [0, 1].
    amount : float
        Strength in [0, 1]; 0 expands to no steps.

    Returns
    -------
    Expansion
    """
    from retouch.restoration import restore_steps

    return restore_steps(image, amount)
