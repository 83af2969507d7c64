"""Agreement coefficients against published worked examples and reference libraries
(values from ../shared/qda/irr-reference-values.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from compendium.agreement import (binary_agreement, fleiss_kappa, irr_table, krippendorff_alpha, multi_coder,
                                  pairwise_kappas)

nan = np.nan
C_DATA = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
          [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
          [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
          [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]


@pytest.mark.parametrize("level,expected", [("nominal", 0.743421), ("ordinal", 0.815388),
                                            ("interval", 0.849107), ("ratio", 0.797403)])
def test_krippendorff_2011_section_c(level, expected):
    # reference: Krippendorff (2011) "Computing Krippendorff's alpha-reliability", sec. C (published .743,
    # .815, .849, .797), and the krippendorff package's values to 6 dp
    assert krippendorff_alpha(C_DATA, level) == pytest.approx(expected, abs=5e-7)


def test_krippendorff_wikipedia_example():
    data = [[nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
            [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
            [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4]]
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
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0],
             [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    # reference: statsmodels fleiss_kappa -> 0.209931 (Wikipedia "Fleiss' kappa", published 0.210)
    assert fleiss_kappa(table) == pytest.approx(0.209931, abs=5e-7)
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[1, 1], [2, 1]])


def test_irr_matches_sklearn_per_code_on_the_shipped_data(shipped_study):
    from sklearn.metrics import cohen_kappa_score

    s = shipped_study
    irr = irr_table(s.units, s.codings, s.codebook, s.coders).set_index("code")
    both = (set(s.codings.loc[s.codings["coder"] == "coder_a", "source_id"])
            & set(s.codings.loc[s.codings["coder"] == "coder_b", "source_id"]))
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
            krippendorff_alpha([[k in a for k in keys], [k in b for k in keys]]))
    assert irr.index[-1] == "ALL"
    assert irr["flagged"].equals(~(irr["cohen_kappa"] >= 0.6))
    assert irr["percent_agreement"].between(0, 100).all()


def _toy(coders: dict[str, list[tuple[str, int, str]]]):
    units = pd.DataFrame({"source_id": ["S1"] * 6 + ["S2"] * 4, "unit": list(range(1, 7)) + list(range(1, 5))})
    codebook = pd.DataFrame({"theme": ["t", "t", "t"], "code": ["x", "y", "never"]})
    codings = pd.DataFrame([(c, s, u, k) for c, rows in coders.items() for s, u, k in rows],
                           columns=["coder", "source_id", "unit", "code"])
    return units, codings, codebook


def test_unused_code_has_blank_kappa_and_only_shared_sources_count():
    units, codings, codebook = _toy({
        "ann": [("S1", 1, "x"), ("S1", 2, "x"), ("S1", 3, "y"), ("S2", 1, "x")],
        "ben": [("S1", 1, "x"), ("S1", 3, "y"), ("S1", 4, "y")],  # ben never coded S2
    })
    irr = irr_table(units, codings, codebook, ["ann", "ben"]).set_index("code")
    assert (irr["units"] == 6).all()  # S1 only
    assert math.isnan(irr.at["never", "cohen_kappa"]) and irr.at["never", "flagged"]
    csv_text = irr.reset_index().to_csv(index=False)
    assert "\nnever,t,6,100.0,,,0,0,True\n" in csv_text  # kappa and alpha blank, never 0


def test_three_coders_fleiss_and_pairwise():
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    units, codings, codebook = _toy({
        "ann": [("S1", 1, "x"), ("S1", 2, "x"), ("S2", 1, "y")],
        "ben": [("S1", 1, "x"), ("S1", 3, "x"), ("S2", 1, "y"), ("S2", 2, "y")],
        "cat": [("S1", 1, "x"), ("S1", 2, "x"), ("S2", 3, "y")],
    })
    multi = multi_coder(units, codings, codebook, ["ann", "ben", "cat"]).set_index("code")
    x_yes = np.array([3, 2, 1, 0, 0, 0, 0, 0, 0, 0])  # units S1/1..6, S2/1..4 coded x by how many coders
    # reference: statsmodels.stats.inter_rater.fleiss_kappa on the units-by-categories counts
    assert multi.at["x", "fleiss_kappa"] == pytest.approx(sm_fleiss(np.column_stack([3 - x_yes, x_yes])))
    pairs = pairwise_kappas(units, codings, codebook, ["ann", "ben", "cat"])
    assert len(pairs) == 3 * 3 and set(zip(pairs["coder_1"], pairs["coder_2"])) == {
        ("ann", "ben"), ("ann", "cat"), ("ben", "cat")}
