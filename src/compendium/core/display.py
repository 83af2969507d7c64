"""What a stage notebook shows inline: its formatted tables and its figures.

The writers call these as they write (:func:`compendium.core.io.write_table`,
:func:`compendium.reporting.figures.save`), so an executed notebook under
``reports/notebooks/`` shows each table as the reader meets it (Markdown, at the
reported rounding, not a raw full-precision DataFrame) and each figure as drawn (its
SVG). Outside a Jupyter kernel (tests, the command line, the benchmark's in-process
floor) they do nothing.
"""

from __future__ import annotations

import sys


def in_kernel() -> bool:
    """True inside a running IPython kernel (a notebook), not in a terminal or a test."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show_markdown(text: str) -> None:
    if in_kernel():
        from IPython.display import Markdown, display

        display(Markdown(text))


def show_svg(data: bytes) -> None:
    if in_kernel():
        from IPython.display import SVG, display

        display(SVG(data))
