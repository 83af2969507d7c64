"""The ``compendium`` command, found as the shell finds it.

The pipeline layer runs stage commands in-process (the warm server's children, the
benchmark's floor). It resolves the command through the console-script entry point in
the package metadata instead of importing :mod:`compendium.cli`, which sits above
every layer and is imported by nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points


def console_script(name: str = "compendium") -> Callable[[list[str]], int]:
    """The ``main(argv) -> int`` behind the installed console script ``name``."""
    found = list(entry_points(group="console_scripts", name=name))
    if not found:
        raise RuntimeError(f"the console script {name!r} is not installed: run `make setup` (pip install -e .)")
    return found[0].load()
