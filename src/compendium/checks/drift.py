"""How far two versions of an artifact differ, for ``make verify``.

Every number under ``reports/`` is written at a stated working precision
(:data:`compendium.core.io.SIGNIFICANT_DIGITS` significant digits), far coarser than the
last-digit noise that numerical libraries show across CPUs. A rerun on another machine
should therefore give the same bytes; when a number lands on a rounding boundary its
last digit may still flip. This module grades each difference:

``identical``
    the same bytes;
``same at the stated precision``
    the same text once numbers are set aside, and every pair of numbers within one
    unit of the last stated digit (the boundary case above): accepted;
``differs``
    anything else: a number that moved by more than that, changed text, or a binary
    file (PNG, PDF, DOCX) whose bytes differ. ``make verify`` fails on it.
"""

from __future__ import annotations

import math
import re

IDENTICAL = "identical"
SAME_AT_PRECISION = "same at the stated precision"
DIFFERS = "differs"

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TEXT_SUFFIXES = {".csv", ".json", ".md", ".html", ".svg", ".ipynb", ".txt", ".yaml", ".yml", ".xml", ".qdc"}


def _split(text: str) -> tuple[list[str], list[str]]:
    """The text with its numbers taken out, and the numbers in order."""
    return NUMBER.split(text), NUMBER.findall(text)


def close_at_precision(a: str, b: str, digits: int) -> bool:
    """True when two printed numbers differ by at most one unit in the ``digits``-th
    significant digit of the larger."""
    x, y = float(a), float(b)
    if x == y:
        return True
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    scale = max(abs(x), abs(y))
    unit = 10 ** (math.floor(math.log10(scale)) - digits + 1)
    return abs(x - y) <= unit * (1 + 1e-6)


def grade(old: bytes, new: bytes, suffix: str, digits: int) -> str:
    """The grade of the difference between two versions of one file."""
    if old == new:
        return IDENTICAL
    if suffix.lower() not in TEXT_SUFFIXES:
        return DIFFERS
    try:
        a, b = old.decode("utf-8"), new.decode("utf-8")
    except UnicodeDecodeError:
        return DIFFERS
    (skel_a, nums_a), (skel_b, nums_b) = _split(a), _split(b)
    if skel_a != skel_b or len(nums_a) != len(nums_b):
        return DIFFERS
    if all(x == y or close_at_precision(x, y, digits) for x, y in zip(nums_a, nums_b)):
        return SAME_AT_PRECISION
    return DIFFERS
