"""Each statistic against an independent reference, named beside the assertion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from compendium.quantitative import stats


def test_chi2_matches_scipy_on_the_leadership_counts():
    res = stats.compare_proportions(12, 100, 45, 100)
    # reference: scipy.stats.chi2_contingency([[12, 88], [45, 55]], correction=False)
    ref = sps.chi2_contingency([[12, 88], [45, 55]], correction=False)
    assert res.test == "chi2"
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(2.350959e-07, rel=1e-6)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


@pytest.mark.parametrize("counts", [(1, 40, 6, 45), (0, 30, 5, 30), (1, 12, 4, 10)])
def test_sparse_tables_use_fisher_as_scipy_computes_it(counts):
    ce, cn, ie, in_ = counts
    res = stats.compare_proportions(ce, cn, ie, in_)
    # reference: scipy.stats.fisher_exact, two-sided, on the same 2x2 table
    ref = sps.fisher_exact([[ie, in_ - ie], [ce, cn - ce]]).pvalue
    assert res.test == "fisher"
    assert math.isnan(res.statistic)
    assert res.p_value == pytest.approx(ref, rel=1e-12)


def test_test_rule_switches_at_the_expected_count_threshold():
    # 10/100 vs 0/100: expected events 5 per arm -> chi-square at min_expected 5
    assert stats.compare_proportions(0, 100, 10, 100).test == "chi2"
    # 9/100 vs 0/100: expected 4.5 -> Fisher
    assert stats.compare_proportions(0, 100, 9, 100).test == "fisher"
    assert stats.compare_proportions(0, 100, 10, 100, min_expected=6).test == "fisher"


def test_newcombe_interval_reproduces_newcombe_1998_worked_example():
    # reference: Newcombe RG (1998) Stat Med 17:873-890, table II, example (a):
    # 56/70 vs 48/80, method 10 (hybrid score) gives 0.0524 to 0.3339
    low, high = stats.newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_interval_with_a_zero_cell_from_the_same_paper():
    # reference: Newcombe (1998) table II, example (h): 10/10 vs 0/10 -> 0.6075 to 1.0000
    low, high = stats.newcombe_interval(10, 10, 0, 10)
    assert round(low, 4) == 0.6075
    assert high == pytest.approx(1.0)


def test_odds_ratio_and_woolf_interval_by_hand():
    or_, low, high, corrected = stats.odds_ratio(45, 100, 12, 100)
    # reference: Woolf's logit interval computed by hand, exp(log OR +/- 1.959964 * SE)
    se = math.sqrt(1 / 45 + 1 / 55 + 1 / 12 + 1 / 88)
    assert or_ == pytest.approx((45 * 88) / (55 * 12))
    assert low == pytest.approx(math.exp(math.log(or_) - sps.norm.ppf(0.975) * se))
    assert high == pytest.approx(math.exp(math.log(or_) + sps.norm.ppf(0.975) * se))
    assert not corrected


def test_odds_ratio_with_a_zero_cell_adds_one_half():
    or_, low, high, corrected = stats.odds_ratio(5, 30, 0, 30)
    # reference: Haldane-Anscombe correction by hand: (5.5 * 30.5) / (25.5 * 0.5)
    assert corrected
    assert or_ == pytest.approx((5.5 * 30.5) / (25.5 * 0.5))
    assert low < or_ < high


def test_risk_ratio_and_log_interval_match_statsmodels_table2x2():
    from statsmodels.stats.contingency_tables import Table2x2

    rr, low, high, corrected = stats.risk_ratio(70, 100, 20, 100)
    # reference: statsmodels Table2x2([[70, 30], [20, 80]]).riskratio and riskratio_confint
    ref = Table2x2(np.array([[70, 30], [20, 80]], dtype=float))
    assert rr == pytest.approx(3.5) and rr == pytest.approx(ref.riskratio)
    assert (low, high) == pytest.approx(ref.riskratio_confint(), rel=1e-12)
    # and by hand: exp(log RR +/- z * sqrt(1/a - 1/n1 + 1/c - 1/n2)) (Katz et al. 1978)
    se = math.sqrt(1 / 70 - 1 / 100 + 1 / 20 - 1 / 100)
    assert low == pytest.approx(3.5 * math.exp(-sps.norm.ppf(0.975) * se))
    assert not corrected


def test_risk_ratio_with_no_event_in_an_arm_adds_one_half_and_a_degenerate_table_is_nan():
    rr, low, high, corrected = stats.risk_ratio(5, 30, 0, 30)
    # reference: by hand on the corrected table: (5.5 / 31) / (0.5 / 31)
    assert corrected and rr == pytest.approx(11.0) and low < rr < high
    assert all(math.isnan(x) for x in stats.risk_ratio(0, 30, 0, 20)[:3])


def test_nnt_is_the_reciprocal_of_the_risk_difference_and_its_newcombe_limits():
    from statsmodels.stats.proportion import confint_proportions_2indep

    res = stats.compare_proportions(20, 100, 70, 100)
    # reference: statsmodels confint_proportions_2indep(method="newcomb"), reciprocals by hand
    low, high = confint_proportions_2indep(70, 100, 20, 100, method="newcomb", compare="diff")
    assert res.nnt == pytest.approx(1 / 0.5)
    assert (res.nnt_ci_low, res.nnt_ci_high) == pytest.approx((1 / high, 1 / low))
    assert res.risk_ratio == pytest.approx(3.5)


def test_nnt_interval_crossing_zero_follows_altman():
    # a difference whose interval includes zero: NNTB to infinity to NNTH (Altman 1998, BMJ 317:1309)
    from compendium.reporting.tables import nnt_cell

    res = stats.compare_proportions(10, 40, 14, 40)
    assert res.rd_ci_low < 0 < res.rd_ci_high
    assert res.nnt_ci_low == pytest.approx(1 / res.rd_ci_high) and res.nnt_ci_low > 0
    assert res.nnt_ci_high == pytest.approx(1 / res.rd_ci_low) and res.nnt_ci_high < 0
    cell = nnt_cell(res.nnt, res.nnt_ci_low, res.nnt_ci_high)
    assert cell.startswith("NNTB 10.0 (NNTB") and "to ∞ to NNTH" in cell
    assert nnt_cell(-5.0, -10.0, -10 / 3) == "NNTH 5.0 (3.3 to 10.0)"
    assert stats.number_needed_to_treat(0.0, -0.1, 0.1)[0] != stats.number_needed_to_treat(0.0, -0.1, 0.1)[0]


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.2]
    # reference: statsmodels.stats.multitest.multipletests(p, method="holm")
    assert stats.holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    out = stats.holm([0.01, float("nan"), 0.03])
    assert math.isnan(out[1])
    assert out[[0, 2]] == pytest.approx(multipletests([0.01, 0.03], method="holm")[1])


def test_welch_t_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(27.4, 2.3, 100), rng.normal(26.8, 2.1, 80)
    # reference: scipy.stats.ttest_ind(equal_var=False)
    assert stats.welch_t(a, b) == pytest.approx(sps.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-10)


def test_chi2_table_matches_scipy_and_ignores_empty_levels():
    import pandas as pd

    counts = pd.DataFrame({"c": [30, 25, 45, 0], "i": [20, 30, 50, 0]})
    # reference: scipy.stats.chi2_contingency on the non-empty rows
    ref = sps.chi2_contingency([[30, 20], [25, 30], [45, 50]], correction=False).pvalue
    assert stats.chi2_table(counts) == pytest.approx(ref)
    assert math.isnan(stats.chi2_table(pd.DataFrame({"c": [5], "i": [6]})))


def test_standardized_differences():
    # reference: Austin PC (2009) Commun Stat Simul Comput 38:1228-34, eq. 1 and 2, by hand
    assert stats.smd_proportion(0.15, 0.25) == pytest.approx(0.10 / math.sqrt((0.15 * 0.85 + 0.25 * 0.75) / 2))
    a, b = np.array([1.0, 2, 3, 4]), np.array([2.0, 3, 4, 5])
    assert stats.smd_continuous(a, b) == pytest.approx(1 / math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))


@pytest.mark.parametrize("args", [(5, 0, 1, 10), (11, 10, 1, 10), (-1, 10, 1, 10)])
def test_impossible_counts_raise_a_clear_error(args):
    with pytest.raises(ValueError, match="control"):
        stats.compare_proportions(*args)


def test_standardized_difference_of_a_level_every_learner_shares_is_zero():
    """Both arms all 'no' at baseline (unseen study, independent design seed 13): the arms
    are identical on it, so the SMD is 0, not undefined (which the manuscript read as
    'suppressed or missing cells'). Reference: Austin (2009) eq. 2 has numerator p2 - p1 = 0."""
    assert stats.smd_proportion(1.0, 1.0) == 0.0
    assert stats.smd_proportion(0.0, 0.0) == 0.0
    assert math.isnan(stats.smd_proportion(0.0, 1.0))  # all against none: no finite SMD
