"""Same bytes on any CPU: the adjusted logistic regressions, run under two of OpenBLAS's
kernels (the oldest x86-64 one and the one this CPU picks) and with one or two BLAS
threads, must agree far beyond the precision the tables are written at, and the
written CSV must be the same bytes.

OpenBLAS chooses its kernels by CPU (``OPENBLAS_CORETYPE`` forces one), so a machine
with another CPU sums in another order. What that changes is rounding, about 1e-16
relative; an optimiser that stops early turns it into differences of 1e-9, which
reach the eighth significant digit now and then (the reviewers' machines did)."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASELINE_CORE = {"x86_64": "Prescott", "AMD64": "Prescott", "aarch64": "ARMV8", "arm64": "ARMV8"}

SCRIPT = r"""
import json, sys
from pathlib import Path
import numpy as np, pandas as pd
from compendium.core import io
from compendium.core.config import Arms
from compendium.quantitative.effects import adjusted_effects

rng = np.random.default_rng(20261125)
n = 300
group = np.where(np.arange(n) % 2 == 0, "control", "intervention")
activism = rng.random(n) < 0.4
learners = pd.DataFrame({
    "group": group,
    "previous_activism": activism,
    "gender": rng.choice(["Female", "Male", "Non-binary"], n, p=[0.5, 0.45, 0.05]),
    "age": np.round(rng.normal(27, 4, n), 1),
})
logit = lambda z: 1 / (1 + np.exp(-z))
for k, outcome in enumerate(["increased_cultural_competence", "active_participation", "leadership_role",
                             "perceived_support"]):
    z = -1.2 + 1.1 * (group == "intervention") + 0.6 * activism + 0.04 * (learners["age"] - 27) + 0.1 * k
    learners[outcome] = rng.random(n) < logit(z)
table = adjusted_effects(learners, Arms(), ["previous_activism", "gender", "age"])
io.write_table(table, "adjusted_effects", "", folder=Path(sys.argv[1]))
print(json.dumps({c: [float(v) for v in table[c]] for c in ("adjusted_or", "adjusted_ci_low", "adjusted_p")}))
"""


def _run(tmp_path: Path, core: str | None, threads: int) -> tuple[str, dict, bytes]:
    out = tmp_path / f"{core or 'native'}-{threads}"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OPENBLAS_VERBOSE="2")
    if core:
        env["OPENBLAS_CORETYPE"] = core
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    used = re.findall(r"Core: (\S+)", result.stdout + result.stderr)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    return (used[0] if used else "?"), values, (out / "adjusted_effects.csv").read_bytes()


@pytest.mark.skipif(platform.machine() not in BASELINE_CORE, reason="no baseline OpenBLAS kernel known here")
def test_logistic_regressions_give_the_same_bytes_under_other_blas_kernels_and_threads(tmp_path):
    native_core, native, native_csv = _run(tmp_path, None, 1)
    baseline_core, baseline, baseline_csv = _run(tmp_path, BASELINE_CORE[platform.machine()], 1)
    if native_core == baseline_core:
        pytest.skip(f"this CPU's own kernel is the baseline one ({native_core}): nothing to compare")
    _, threaded, threaded_csv = _run(tmp_path, None, 2)
    for other in (baseline, threaded):
        for column, values in native.items():
            for mine, theirs in zip(values, other[column]):
                # optimiser noise (pingouin's newton-cg stopping at 1e-8) was about 1e-9 relative
                assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-300), (column, native_core, baseline_core)
    assert baseline_csv == native_csv, f"{native_core} and {baseline_core} wrote different bytes"
    assert threaded_csv == native_csv
