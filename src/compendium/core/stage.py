"""A stage notebook opened and run by hand, as a researcher meets it in JupyterLab.

Under the pipeline, ``compendium run-notebook`` executes a stage notebook and sets
``COMPENDIUM_STAGE`` in the kernel's environment. A notebook opened in JupyterLab and
run with "Run All" has no such mark. Its parameters are already the pipeline's: each
parameters cell reads ``params.yaml`` (:func:`compendium.core.config.param`). What
differs is where it writes: without this module it would overwrite the committed
results under ``reports/``.

Each stage notebook therefore calls :func:`setup` right after its parameters cell.
Under the pipeline it does nothing. Run by hand, it sends every write to a scratch
folder, ``data/interim/by-hand/`` (git-ignored), while reads still find the pipeline's
inputs (:func:`compendium.core.paths.for_writing`, :func:`~compendium.core.paths.for_reading`),
and prints one line saying so.
"""

from __future__ import annotations

import os

from compendium.core import paths

STAGE_ENV = "COMPENDIUM_STAGE"
SCRATCH = "data/interim/by-hand"


def by_hand() -> bool:
    """True unless the pipeline (``compendium run-notebook``) runs this kernel."""
    return not os.environ.get(STAGE_ENV)


def setup(stage: str) -> bool:
    """Make a hand run of ``stage``'s notebook write to the scratch folder; returns
    whether it did (False under the pipeline)."""
    if not by_hand():
        return False
    os.environ[paths.SCRATCH_ENV] = str(paths.project_root() / SCRATCH)
    print(
        f"Run by hand: stage {stage} reads params.yaml and the pipeline's inputs; its outputs go to "
        f"{SCRATCH}/ (reports/ stays as the pipeline wrote it)."
    )
    return True
