"""DVC as the pipeline runs it: ``python -m compendium.pipeline.dvcrun repro ...``.

This is DVC's own command line with one change. After every stage, DVC records the
stage in ``dvc.lock`` by reading the whole file, changing the stage's entry and writing
the file back. It reads it with ruamel.yaml's round-trip parser, which keeps comments and
layout, is written in pure Python, and (DVC's docstring says) is several times slower
than its safe parser. ``dvc.lock`` is written only by DVC and holds no comments, so the
round trip keeps nothing the safe parser loses: here the lock file is read with DVC's
own safe parser (ruamel.yaml with its C extension, the same YAML 1.2 rules), which
takes about a tenth of the time. On this project's lock (about 3,000 lines) that is
0.25 s less for each stage that runs. ``dvc.yaml`` and every other file keep the
round-trip parser.

``tests/test_pipeline.py`` checks that the lock file this writes is byte for byte the
lock file unchanged DVC writes, and that the change is in place for the DVC version in
the lock file.
"""

from __future__ import annotations

import sys
from pathlib import PurePath
from typing import Any

LOCK_FILE = "dvc.lock"


def install() -> None:
    """Read ``dvc.lock`` with DVC's safe parser when DVC updates it."""
    from dvc.utils.serialize import _yaml

    if getattr(_yaml.parse_yaml_for_update, "_compendium", False):
        return
    round_trip = _yaml.parse_yaml_for_update

    def parse_for_update(text: str, path: Any) -> Any:
        if PurePath(str(path)).name == LOCK_FILE:
            return _yaml.parse_yaml(text, path)
        return round_trip(text, path)

    parse_for_update._compendium = True  # type: ignore[attr-defined]
    _yaml.parse_yaml_for_update = parse_for_update


def main(argv: list[str] | None = None) -> int:
    """Run DVC's command line with :func:`install` in place."""
    install()
    from dvc.cli import main as dvc_main

    return int(dvc_main(sys.argv[1:] if argv is None else argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
