"""A stage notebook opened and run by hand, as a researcher meets it in JupyterLab.

Under the pipeline, ``compendium run-notebook`` executes a stage notebook with the
parameters ``dvc.yaml`` gives it (from ``params.yaml``) and sets ``COMPENDIUM_STAGE``
in the kernel's environment. A notebook opened in JupyterLab and run with "Run All" has
neither: without this module it would use the literal defaults of its parameters cell
and overwrite the committed results under ``reports/``.

Each stage notebook therefore calls :func:`setup` right after its parameters cell.
Under the pipeline it does nothing. Run by hand, it

* replaces the parameters cell's values by the ones the pipeline would pass (the stage's
  ``-p NAME ${params.key}`` arguments in ``dvc.yaml``, looked up in ``params.yaml``), and
* sends every write to a scratch folder, ``data/interim/by-hand/`` (git-ignored), while
  reads still find the pipeline's inputs (:func:`compendium.core.paths.for_writing`).

It prints one line saying both, so the researcher knows where the results went.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from compendium.core import paths

STAGE_ENV = "COMPENDIUM_STAGE"
SCRATCH = "data/interim/by-hand"
_REFERENCE = re.compile(r"^\$\{([^}]+)\}$")


def by_hand() -> bool:
    """True unless the pipeline (``compendium run-notebook``) runs this kernel."""
    return not os.environ.get(STAGE_ENV)


def _lookup(params: dict, dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"params.yaml has no key {dotted!r} (named in dvc.yaml)")
        node = node[part]
    return node


def _value(text: str, params: dict) -> Any:
    """A ``-p`` value: a whole ``${key}`` reference keeps its YAML type; any other text
    is interpolated, then read as YAML (as papermill reads ``-p`` values)."""
    whole = _REFERENCE.match(text)
    if whole:
        return _lookup(params, whole.group(1))
    text = re.sub(r"\$\{([^}]+)\}", lambda m: str(_lookup(params, m.group(1))), text)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if value is None and text != "" else ("" if value is None else value)


def parameters(stage: str, root: Path | None = None) -> dict[str, Any]:
    """The parameters the pipeline passes to ``stage``'s notebook, by name."""
    root = root or paths.project_root()
    spec = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    if stage not in spec:
        raise KeyError(f"dvc.yaml has no stage {stage!r}")
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}
    args = shlex.split(" ".join(str(spec[stage]["cmd"]).split()), posix=True)
    out: dict[str, Any] = {}
    for i, arg in enumerate(args[:-2]):
        if arg in ("-p", "--parameter"):
            out[args[i + 1]] = _value(args[i + 2], params)
    return out


def setup(namespace: dict[str, Any], stage: str) -> dict[str, Any]:
    """Make a hand run behave as the pipeline's: the pipeline's parameters, writes to
    the scratch folder. Returns the parameters it set ({} under the pipeline)."""
    if not by_hand():
        return {}
    values = parameters(stage)
    namespace.update(values)
    scratch = paths.project_root() / SCRATCH
    os.environ[paths.SCRATCH_ENV] = str(scratch)
    print(
        f"Run by hand: parameters of stage {stage} from params.yaml; "
        f"outputs go to {SCRATCH}/ (reports/ is left as the pipeline wrote it)."
    )
    return values
