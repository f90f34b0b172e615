"""Text → Plan. ``default`` is the embedded offline planner; ``openai`` asks an LLM server.

Every planner returns a validated :class:`retouch.plans.Plan` or raises
:class:`retouch.PlanError`; nothing a planner produces is ever executed.
"""

from __future__ import annotations

from collections.abc import Callable

from retouch.errors import PlanError
from retouch.plans import Plan


def _embedded(text: str) -> Plan:
    from retouch.planner.embedded import EmbeddedPlanner

    return EmbeddedPlanner().plan(text)


def _openai(text: str) -> Plan:
    from retouch.planner.openai_backend import plan_with_llm

    return plan_with_llm(text)


PLANNERS: dict[str, Callable[[str], Plan]] = {"default": _embedded, "openai": _openai}


def plan(text: str, planner: str = "default") -> Plan:
    """Turn a plain-language instruction into a validated Plan.

    Parameters
    ----------
    text : str
        What to do, in English or Chinese ("too dark, and blur the
        background", "把天空调暗").
    planner : {"default", "openai"}
        ``default``: offline rules and sentence embeddings (deterministic).
        ``openai``: an OpenAI-compatible chat server, configured by the
        ``RETOUCH_LLM_*`` environment variables.

    Returns
    -------
    Plan
        Each step records the words it came from (``step.source``) and the
        planner's confidence (``step.confidence``).

    Raises
    ------
    PlanError
        When nothing in the text maps to an image operation (empty text,
        gibberish, requests that are not image edits, injected commands);
        the message says why and suggests the closest ops.

    Examples
    --------
    >>> import retouch
    >>> [(s.op, s.region) for s in retouch.plan("darken the sky a bit").steps]
    [('brightness', 'sky')]
    """
    try:
        backend = PLANNERS[planner]
    except KeyError:
        raise PlanError(f"unknown planner {planner!r}; choose one of: {', '.join(PLANNERS)}") from None
    result = backend(text)
    result.validate()
    return result
