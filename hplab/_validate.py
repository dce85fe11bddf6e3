"""Tiny checks that raise uniform, readable errors. Imports nothing from hplab."""

from __future__ import annotations

import math
import numbers


def _is_bool(value) -> bool:
    return isinstance(value, bool)


def number(name: str, value, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Check that ``value`` is a finite real number in a range and return it as float."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if low is not None:
        if low_open and not value > low:
            raise ValueError(f"{name} must be > {low}, got {value:g}")
        if not low_open and not value >= low:
            raise ValueError(f"{name} must be >= {low}, got {value:g}")
    if high is not None:
        if high_open and not value < high:
            raise ValueError(f"{name} must be < {high}, got {value:g}")
        if not high_open and not value <= high:
            raise ValueError(f"{name} must be <= {high}, got {value:g}")
    return value


def positive(name: str, value) -> float:
    """A finite number > 0."""
    return number(name, value, low=0, low_open=True)


def integer(name: str, value, *, low=None, high=None) -> int:
    """Check that ``value`` is a whole number (not a bool) in [low, high] and return it."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def seed(value, name: str = "seed") -> int:
    """A seed is a non-negative integer."""
    return integer(name, value, low=0, high=2**63 - 1)


def choice(name: str, value, choices) -> str:
    """Check that ``value`` is one of ``choices`` (strings); the message lists them."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string, one of: {', '.join(options)}; got {type(value).__name__} {value!r}"
        )
    key = value.lower().replace("-", "_").replace(" ", "_")
    normalized = {c.lower().replace("-", "_"): c for c in options}
    if key not in normalized:
        raise ValueError(f"{name} {value!r} is unknown; choose one of: {', '.join(options)}")
    return normalized[key]


def string(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    return value


def boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def fraction(name: str, value, *, high_open=True) -> float:
    """A number in [0, 1) (or [0, 1] with high_open=False)."""
    return number(name, value, low=0, high=1, high_open=high_open)
