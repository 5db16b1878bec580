"""Exact numbers and the one rounding rule of every figure: half up, once, on output."""

from __future__ import annotations

import math
from fractions import Fraction


def exact(number: float) -> Fraction:
    """The decimal a float was written as (8.3 → 83/10, not its binary neighbour)."""
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {number!r}")
    return Fraction(repr(float(number)))


def round_half_up(value: Fraction, places: int) -> float:
    """`value` rounded half up (ties away from zero) to `places` decimals."""
    scale: int = 10**places
    scaled = value * scale
    whole: int = math.floor(abs(scaled) + Fraction(1, 2))
    return (whole if scaled >= 0 else -whole) / scale
