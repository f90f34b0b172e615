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
