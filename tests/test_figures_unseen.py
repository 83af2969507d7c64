"""Figures drawn for studies the project never saw pass the print check: long code
labels, long site names, the fixed outcome labels, few or many codes.

These seeds of the independent design broke the co-occurrence map and the per-site
forest plots (text off the canvas) before the labels were wrapped and the map's
aspect freed."""

from __future__ import annotations

import pandas as pd
import pytest

from compendium.data.contract import load_study
from compendium.quantitative.outcomes import OUTCOMES
from compendium.reporting import figures
from compendium.synthesize import synthesize


@pytest.mark.parametrize("seed", [4242, 7, 9])
def test_cooccurrence_map_fits_for_unseen_codebooks(tmp_path, seed):
    raw = tmp_path / "raw"
    synthesize(raw, seed=seed, design="independent")
    codebook = load_study(raw).codebook
    codes = list(codebook["code"])
    co = pd.DataFrame(
        [(a, b, 2) for i, a in enumerate(codes) for b in codes[i + 1 :]], columns=["code_1", "code_2", "units"]
    )
    for n in sorted({2, 3, len(codes)}):
        figures.save(figures.code_cooccurrence(co, codebook.iloc[:n]), f"co_{n}", tmp_path)  # raises if it fails


def test_site_forests_fit_with_long_site_names(tmp_path):
    names = ["Järvenpää", "A very long site name of a teaching hospital in the north", "cusco"]
    effects = pd.DataFrame(
        [{"site": s, "outcome": o, "rd": 0.1 * i, "rd_var": 0.01} for i, s in enumerate(names) for o in OUTCOMES]
    )
    pooled = pd.Series({"estimate": 0.1, "ci_low": -0.05, "ci_high": 0.25, "i2": 12.0})
    for outcome in OUTCOMES:
        figures.save(figures.site_forest(effects, pooled, outcome), f"forest_{outcome}", tmp_path)
