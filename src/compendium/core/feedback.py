"""Progress on long loops: a tqdm bar on an interactive terminal, silence elsewhere
(CI logs, DVC's captured output, executed notebooks, whose bytes must not change)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def progress(items: Iterable[T], desc: str, total: int | None = None, minimum: int = 500) -> Iterator[T] | Iterable[T]:
    """``items`` with a progress bar when there are at least ``minimum`` of them and
    someone is watching; the items unchanged otherwise."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if not interactive() or (total is not None and total < minimum):
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, leave=False, file=sys.stderr)
