"""Exceptions with messages meant for people, and the CLI exit codes they map to."""

from __future__ import annotations


class RetouchError(Exception):
    """Base class: every error Retouch raises on purpose.

    ``exit_code`` is what the CLI exits with; the message is printed as is.
    """

    exit_code = 1


class InputError(RetouchError, ValueError):
    """Bad input: unreadable or oversized image, bad mask, bad option value."""

    exit_code = 2


class PlanValidationError(InputError):
    """A plan that does not fit the op registry (names the step and field)."""


class PlanError(RetouchError, ValueError):
    """An instruction from which no image operation could be planned."""

    exit_code = 3
