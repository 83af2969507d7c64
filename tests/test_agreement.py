"""Agreement coefficients against published worked examples and reference libraries
(values from ../shared/qda/irr-reference-values.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from compendium.qualitative.agreement import (
    binary_agreement,
    fleiss_kappa,
    irr_table,
    krippendorff_alpha,
    multi_coder,
    pairwise_kappas,
)

nan = np.nan
C_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]


@pytest.mark.parametrize(
    "level,expected", [("nominal", 0.743421), ("ordinal", 0.815388), ("interval", 0.849107), ("ratio", 0.797403)]
)
def test_krippendorff_2011_section_c(level, expected):
    # reference: Krippendorff (2011) "Computing Krippendorff's alpha-reliability", sec. C (published .743,
    # .815, .849, .797), and the krippendorff package's values to 6 dp
    assert krippendorff_alpha(C_DATA, level) == pytest.approx(expected, abs=5e-7)


def test_krippendorff_wikipedia_example():
    data = [
        [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
        [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
        [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
    ]
    # reference: Wikipedia "Krippendorff's alpha" computational example (fast-krippendorff doctest)
    assert krippendorff_alpha(data, "nominal") == pytest.approx(0.691358, abs=5e-7)
    assert krippendorff_alpha(data, "interval") == pytest.approx(0.810845, abs=5e-7)


def test_krippendorff_2011_binary_and_nominal_two_coders():
    a = np.array([0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    b = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    # reference: Krippendorff (2011) sec. A: alpha .095; sklearn cohen_kappa_score 0.090909; agreement 60%
    assert krippendorff_alpha([a, b]) == pytest.approx(0.095238, abs=5e-7)
    res = binary_agreement(a[:, None], b[:, None])
    assert res["krippendorff_alpha"][0] == pytest.approx(0.095238, abs=5e-7)
    assert res["cohen_kappa"][0] == pytest.approx(0.090909, abs=5e-7)
    assert res["percent_agreement"][0] == pytest.approx(60.0)
    letters = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    x = [letters[v] for v in "a a b b d c c c e d d a".split()]
    y = [letters[v] for v in "b a b b b c c c e d d d".split()]
    # reference: Krippendorff (2011) sec. B: alpha .692
    assert krippendorff_alpha([x, y]) == pytest.approx(0.691964, abs=5e-7)


def test_undefined_coefficients_are_nan():
    zeros = np.zeros((5, 1), dtype=bool)
    res = binary_agreement(zeros, zeros)
    assert math.isnan(res["cohen_kappa"][0]) and math.isnan(res["krippendorff_alpha"][0])
    assert res["percent_agreement"][0] == 100
    assert math.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]))


def test_fleiss_kappa_wikipedia_table():
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    # reference: statsmodels fleiss_kappa -> 0.209931 (Wikipedia "Fleiss' kappa", published 0.210)
    assert fleiss_kappa(table) == pytest.approx(0.209931, abs=5e-7)
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[1, 1], [2, 1]])


def test_irr_matches_sklearn_per_code_on_the_shipped_data(shipped_study):
    from sklearn.metrics import cohen_kappa_score

    s = shipped_study
    irr = irr_table(s.units, s.codings, s.codebook, s.coders).set_index("code")
    both = set(s.codings.loc[s.codings["coder"] == "coder_a", "source_id"]) & set(
        s.codings.loc[s.codings["coder"] == "coder_b", "source_id"]
    )
    units = s.units[s.units["source_id"].isin(both)]
    keys = list(zip(units["source_id"], units["unit"].astype(int)))
    for code in s.codebook["code"]:

        def coded(coder):
            rows = s.codings[(s.codings["coder"] == coder) & (s.codings["code"] == code)]
            return {(a, int(b)) for a, b in zip(rows["source_id"], rows["unit"])}

        a, b = coded("coder_a"), coded("coder_b")
        # reference: sklearn.metrics.cohen_kappa_score over the same units
        ref = cohen_kappa_score([k in a for k in keys], [k in b for k in keys])
        assert irr.at[code, "cohen_kappa"] == pytest.approx(ref)
        assert irr.at[code, "units"] == len(keys)
        assert irr.at[code, "krippendorff_alpha"] == pytest.approx(
            krippendorff_alpha([[k in a for k in keys], [k in b for k in keys]])
        )
        # reference: Cicchetti and Feinstein (1990) specific agreement, by hand from the 2x2 counts
        a, b = a & set(keys), b & set(keys)
        n11, n00 = len(a & b), len(set(keys) - a - b)
        assert irr.at[code, "positive_agreement"] == pytest.approx(2 * n11 / (len(a) + len(b)))
        assert irr.at[code, "negative_agreement"] == pytest.approx(2 * n00 / (2 * len(keys) - len(a) - len(b)))
        assert irr.at[code, "kappa_ci_low"] <= irr.at[code, "cohen_kappa"] <= irr.at[code, "kappa_ci_high"]
    assert irr.index[-1] == "ALL"
    # the rule: flagged when kappa is undefined or below 0.6, or its interval reaches below 0.6
    assert irr["flagged"].equals(~(irr["cohen_kappa"] >= 0.6) | (irr["kappa_ci_low"] < 0.6))
    assert (irr["flagged"] & (irr["cohen_kappa"] >= 0.6)).any()  # the interval matters on these data
    assert irr["percent_agreement"].between(0, 100).all()


def test_specific_agreement_worked_example():
    from compendium.qualitative.agreement import _from_sums

    # 2x2 of two coders over 100 units: a = 40 both present, b = 5 and c = 10 split, d = 45 both absent.
    # reference: by hand, Cicchetti and Feinstein (1990): PA = 2a / (2a + b + c) = 80/95,
    # NA = 2d / (2d + b + c) = 90/105; Cohen's kappa = (0.85 - 0.5) / 0.5 = 0.70
    out = _from_sums(100, 45, 50, 40)
    assert out["positive_agreement"] == pytest.approx(80 / 95)
    assert out["negative_agreement"] == pytest.approx(90 / 105)
    assert out["cohen_kappa"] == pytest.approx((0.85 - (0.45 * 0.5 + 0.55 * 0.5)) / (1 - 0.5))


def test_source_bootstrap_matches_a_plain_loop_with_sklearn(shipped_study):
    from sklearn.metrics import cohen_kappa_score

    from compendium.qualitative.agreement import matrix, shared_units

    s = shipped_study
    pair = s.coders[:2]
    shared = shared_units(s.units, s.codings, pair)
    codes = list(s.codebook["code"])
    a, b = (matrix(s.codings, c, shared, codes) for c in pair)
    irr = irr_table(s.units, s.codings, s.codebook, s.coders, replicates=200, seed=11).set_index("code")
    # reference: the same resampling of whole sources written as a loop, kappa by sklearn, numpy percentiles
    sources = shared["source_id"].to_numpy()
    ids = np.unique(sources)
    draws = np.random.default_rng(11).integers(0, len(ids), size=(200, len(ids)))
    rows_of = {i: np.flatnonzero(sources == sid) for i, sid in enumerate(ids)}
    j = codes.index("hierarchy") if "hierarchy" in codes else 0
    kappas = []
    for draw in draws:
        rows = np.concatenate([rows_of[i] for i in draw])
        kappas.append(cohen_kappa_score(a[rows, j], b[rows, j]))
    low, high = np.quantile(kappas, [0.025, 0.975])
    assert irr.at[codes[j], "kappa_ci_low"] == pytest.approx(low)
    assert irr.at[codes[j], "kappa_ci_high"] == pytest.approx(high)
    # same seed, same intervals; another seed, other intervals
    again = irr_table(s.units, s.codings, s.codebook, s.coders, replicates=200, seed=11).set_index("code")
    assert again.equals(irr)
    other = irr_table(s.units, s.codings, s.codebook, s.coders, replicates=200, seed=12).set_index("code")
    assert not np.allclose(other["kappa_ci_low"], irr["kappa_ci_low"])


def test_bootstrap_is_fast_and_works_on_a_three_site_study(tmp_path):
    import time

    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    synthesize(tmp_path / "raw", seed=3, scale=1, sites=3)
    s = load_study(tmp_path / "raw")
    start = time.perf_counter()
    irr = irr_table(s.units, s.codings, s.codebook, s.coders, replicates=1000, seed=5)
    assert time.perf_counter() - start < 1.0
    ok = irr.dropna(subset=["cohen_kappa"])
    assert (ok["kappa_ci_low"] <= ok["cohen_kappa"] + 1e-12).all()
    assert (ok["alpha_ci_high"] >= ok["krippendorff_alpha"] - 1e-12).all()
    assert set(irr.columns) >= {
        "kappa_ci_low",
        "kappa_ci_high",
        "alpha_ci_low",
        "alpha_ci_high",
        "positive_agreement",
        "negative_agreement",
    }


def _toy(coders: dict[str, list[tuple[str, int, str]]]):
    units = pd.DataFrame({"source_id": ["S1"] * 6 + ["S2"] * 4, "unit": list(range(1, 7)) + list(range(1, 5))})
    codebook = pd.DataFrame({"theme": ["t", "t", "t"], "code": ["x", "y", "never"]})
    codings = pd.DataFrame(
        [(c, s, u, k) for c, rows in coders.items() for s, u, k in rows], columns=["coder", "source_id", "unit", "code"]
    )
    return units, codings, codebook


def test_unused_code_has_blank_kappa_and_only_shared_sources_count():
    units, codings, codebook = _toy(
        {
            "ann": [("S1", 1, "x"), ("S1", 2, "x"), ("S1", 3, "y"), ("S2", 1, "x")],
            "ben": [("S1", 1, "x"), ("S1", 3, "y"), ("S1", 4, "y")],  # ben never coded S2
        }
    )
    irr = irr_table(units, codings, codebook, ["ann", "ben"]).set_index("code")
    assert (irr["units"] == 6).all()  # S1 only
    assert math.isnan(irr.at["never", "cohen_kappa"]) and irr.at["never", "flagged"]
    csv_text = irr.reset_index().to_csv(index=False)
    # kappa, alpha, their intervals (one source: nothing to resample) and positive agreement blank, never 0
    assert "\nnever,t,6,100.0,,,0,0,True,1,,,,,,1.0\n" in csv_text


def test_three_coders_fleiss_and_pairwise():
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    units, codings, codebook = _toy(
        {
            "ann": [("S1", 1, "x"), ("S1", 2, "x"), ("S2", 1, "y")],
            "ben": [("S1", 1, "x"), ("S1", 3, "x"), ("S2", 1, "y"), ("S2", 2, "y")],
            "cat": [("S1", 1, "x"), ("S1", 2, "x"), ("S2", 3, "y")],
        }
    )
    multi = multi_coder(units, codings, codebook, ["ann", "ben", "cat"]).set_index("code")
    x_yes = np.array([3, 2, 1, 0, 0, 0, 0, 0, 0, 0])  # units S1/1..6, S2/1..4 coded x by how many coders
    # reference: statsmodels.stats.inter_rater.fleiss_kappa on the units-by-categories counts
    assert multi.at["x", "fleiss_kappa"] == pytest.approx(sm_fleiss(np.column_stack([3 - x_yes, x_yes])))
    pairs = pairwise_kappas(units, codings, codebook, ["ann", "ben", "cat"])
    assert len(pairs) == 3 * 3 and set(zip(pairs["coder_1"], pairs["coder_2"])) == {
        ("ann", "ben"),
        ("ann", "cat"),
        ("ben", "cat"),
    }
