"""The environment every process of a run shares, set up in one place.

Same inputs, same bytes: the settings below fix what would otherwise vary between two
runs or two machines. :func:`deterministic_env` is called wherever the project starts
or prepares a process (the ``compendium`` command, ``compendium reproduce`` for DVC and
the warm server, the notebook runner for its kernels); the Makefile exports the same
values for ``make test`` and ``make lab`` (tests/test_params.py checks that they agree).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: 2025-10-26, the paper's publication date: every date an output carries (DOCX, PDF,
#: ZIP entries, figures' metadata, archive records) unless SOURCE_DATE_EPOCH is set.
EPOCH = "1761436800"

#: Always these values, whatever the caller's environment holds.
FIXED: dict[str, str] = {
    "PYTHONHASHSEED": "0",  # set and frozenset order of strings in child processes
    "MPLBACKEND": "Agg",  # matplotlib draws to files, never to a window
    "DVC_NO_ANALYTICS": "1",  # the pipeline makes no network request
    "TZ": "UTC",  # a tool that turns SOURCE_DATE_EPOCH into a local date gets the same one
    # one thread for every numeric library: the same summation order, hence the same last
    # digits, on any machine (and a process that can safely fork)
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}

#: These values unless the caller sets its own.
DEFAULTS: dict[str, str] = {
    "SOURCE_DATE_EPOCH": EPOCH,  # reproducible-builds.org convention: a release may stamp its own date
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # the kernels' debugger warns about frozen modules otherwise
}


def deterministic_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`DEFAULTS` filled in
    where absent and :data:`FIXED` imposed. Returns a new mapping; ``base`` is not changed."""
    env = dict(os.environ if base is None else base)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    env.update(FIXED)
    return env


def apply() -> None:
    """Put :func:`deterministic_env` into this process's environment, for the libraries it
    loads from now on and every process it starts."""
    os.environ.update(deterministic_env(os.environ))
