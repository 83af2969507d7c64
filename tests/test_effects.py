"""Adjusted and stratified effects, correlations, power, reliability, sites and
small-cell suppression, each against an independent reference named in the test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from compendium.core.config import Arms
from compendium.quantitative import demographics, effects, reliability, sites
from compendium.quantitative.outcomes import OUTCOMES, derive, table2


@pytest.fixture(scope="module")
def learners(shipped_study):
    s = shipped_study
    return derive(s.participants, s.survey, s.cc_items, s.support_items)


def test_adjusted_odds_ratio_matches_statsmodels_logit(learners):
    import statsmodels.api as sm

    from compendium.quantitative.outcomes import BASELINE

    table = effects.adjusted_effects(learners, Arms(), ["previous_activism", "gender", "age"], baseline=True).set_index(
        "outcome"
    )
    for outcome in OUTCOMES:
        assert table.at[outcome, "baseline"] == BASELINE[outcome]
        X = effects.design_matrix(learners, Arms(), ["previous_activism", "gender", "age", BASELINE[outcome]])
        y = learners.loc[X.index, outcome].astype(int)
        # reference: statsmodels Logit (maximum likelihood) on the same design
        fit = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
        low, high = fit.conf_int().loc["intervention"]
        row = table.loc[outcome]
        assert row["adjusted_or"] == pytest.approx(math.exp(fit.params["intervention"]), rel=1e-4)
        assert row["adjusted_ci_low"] == pytest.approx(math.exp(low), rel=1e-3)
        assert row["adjusted_ci_high"] == pytest.approx(math.exp(high), rel=1e-3)
        assert row["n_adjusted"] == len(X)


def _strata(learners, outcome):
    tables = []
    for value in (False, True):
        part = learners[learners["previous_activism"] == value]
        y = part[outcome].astype(bool)
        i, c = part["group"] == "intervention", part["group"] == "control"
        tables.append(np.array([[y[i].sum(), (~y[i]).sum()], [y[c].sum(), (~y[c]).sum()]], dtype=float))
    return tables


def _breslow_day(tables, or_mh):
    """Breslow and Day (1980) homogeneity statistic, without Tarone's correction, by hand."""
    stat = 0.0
    for t in tables:
        a, b, c, d = t.ravel()
        m1, n1, n = a + c, a + b, t.sum()
        # expected a under the common odds ratio: root of a quadratic in [max(0, m1 - (n - n1)), min(n1, m1)]
        lo, hi = max(0.0, m1 - (n - n1)), min(n1, m1)
        f = lambda x: x * (n - n1 - m1 + x) - or_mh * (n1 - x) * (m1 - x)  # noqa: E731
        from scipy.optimize import brentq

        ea = brentq(f, lo + 1e-12, hi - 1e-12)
        var = 1 / (1 / ea + 1 / (n1 - ea) + 1 / (m1 - ea) + 1 / (n - n1 - m1 + ea))
        stat += (a - ea) ** 2 / var
    return stat


def test_mantel_haenszel_and_breslow_day_by_hand(learners):
    table = effects.adjusted_effects(learners, Arms(), ["previous_activism"]).set_index("outcome")
    for outcome in ("increased_cultural_competence", "active_participation", "perceived_support"):
        tables = _strata(learners, outcome)
        # reference: the Mantel-Haenszel (1959) estimator sum(a*d/n) / sum(b*c/n), by hand
        mh = sum(t[0, 0] * t[1, 1] / t.sum() for t in tables) / sum(t[0, 1] * t[1, 0] / t.sum() for t in tables)
        row = table.loc[outcome]
        assert row["mh_or"] == pytest.approx(mh)
        assert row["breslow_day_chi2"] == pytest.approx(_breslow_day(tables, mh), rel=1e-6)
        assert row["breslow_day_p"] == pytest.approx(sps.chi2.sf(row["breslow_day_chi2"], 1))


def test_mantel_haenszel_without_correction_matches_statsmodels_on_the_raw_tables(learners):
    from statsmodels.stats.contingency_tables import StratifiedTable

    table = effects.adjusted_effects(learners, Arms(), []).set_index("outcome")
    for outcome in OUTCOMES:
        tables = [t for t in _strata(learners, outcome) if (t.sum(axis=0) > 0).all()]
        # reference: statsmodels StratifiedTable on the uncorrected counts (a zero cell in
        # one stratum needs no correction: the estimator stays defined)
        st = StratifiedTable(tables)
        low, high = st.oddsratio_pooled_confint()
        row = table.loc[outcome]
        assert row["mh_or"] == pytest.approx(st.oddsratio_pooled, rel=1e-12)
        assert (row["mh_ci_low"], row["mh_ci_high"]) == pytest.approx((low, high), rel=1e-12)
        assert row["mh_p"] == pytest.approx(st.test_null_odds(correction=False).pvalue, rel=1e-12)
        assert row["breslow_day_p"] == pytest.approx(st.test_equal_odds().pvalue, rel=1e-12)
        assert "0.5 added" not in row["note"]


def test_mantel_haenszel_zero_cell_in_one_stratum_is_not_corrected():
    # hand-made strata: stratum 1 has an empty cell, stratum 2 carries the estimator
    t1, t2 = np.array([[5.0, 0.0], [3.0, 4.0]]), np.array([[6.0, 2.0], [1.0, 5.0]])
    out = effects.mantel_haenszel([t1, t2], notes=(notes := []))
    # reference: Mantel-Haenszel (1959) by hand: (5*4/12 + 6*5/14) / (0*3/12 + 2*1/14)
    assert out["mh_or"] == pytest.approx((5 * 4 / 12 + 6 * 5 / 14) / (2 * 1 / 14))
    assert notes == []
    # an uninformative stratum (no events at all) changes nothing and is noted
    out2 = effects.mantel_haenszel([t1, t2, np.array([[0.0, 4.0], [0.0, 5.0]])], notes=(notes := []))
    assert out2 == pytest.approx(out)
    assert "left out" in notes[0]


def test_mantel_haenszel_undefined_estimator_is_corrected_and_said():
    # no stratum has a discordant pair (b*c = 0 everywhere): the raw estimator is infinite
    tables = [np.array([[5.0, 0.0], [3.0, 4.0]]), np.array([[6.0, 0.0], [1.0, 5.0]])]
    out = effects.mantel_haenszel(tables, notes=(notes := []))
    assert any("0.5 added" in n for n in notes)
    # reference: by hand on the corrected counts
    c = [t + 0.5 for t in tables]
    mh = sum(t[0, 0] * t[1, 1] / t.sum() for t in c) / sum(t[0, 1] * t[1, 0] / t.sum() for t in c)
    assert out["mh_or"] == pytest.approx(mh)
    assert math.isfinite(out["mh_ci_high"])


def test_mantel_haenszel_needs_two_informative_strata():
    out = effects.mantel_haenszel([np.array([[5.0, 1.0], [3.0, 4.0]])], notes=(notes := []), stratum="site")
    assert math.isnan(out["mh_or"]) and "two strata of site" in notes[0]


def test_ancova_matches_statsmodels_ols(learners):
    import statsmodels.formula.api as smf

    table = effects.ancova(learners, Arms()).set_index("scale")
    for scale, pre, post in effects.ANCOVA_SCALES:
        data = learners[["group", pre, post]].dropna().astype({pre: float, post: float})
        # reference: statsmodels OLS of post on arm and pre (formula interface), t-based 95% CI
        fit = smf.ols(f"{post} ~ C(group, Treatment('control')) + {pre}", data=data).fit()
        term = "C(group, Treatment('control'))[T.intervention]"
        row = table.loc[scale]
        assert row["mean_difference"] == pytest.approx(fit.params[term], rel=1e-10)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(fit.conf_int().loc[term]), rel=1e-10)
        assert row["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-8, abs=1e-300)
        assert row["statistic"] == pytest.approx(fit.tvalues[term], rel=1e-10)
        assert row["dof"] == fit.df_resid and row["n"] == len(data)


def test_ancova_edge_cases_are_blank_with_a_note(learners):
    one_arm = effects.ancova(learners[learners["group"] == "control"], Arms())
    assert one_arm["mean_difference"].isna().all() and one_arm["note"].str.contains("not estimable").all()
    other = learners.assign(group=learners["group"].map({"control": "usual", "intervention": "programme"}))
    other.loc[other.index[:5], "cc_pre_mean"] = np.nan  # missing baselines: complete cases
    t = effects.ancova(other, Arms("usual", "programme")).set_index("scale")
    assert t.at["cultural_competence", "n"] == len(learners) - 5 and np.isfinite(t["mean_difference"]).all()


def test_table1_baseline_rows_by_hand(learners, shipped_study):
    t = demographics.table1(shipped_study.participants, Arms(), learners)
    cc = t[t["variable"] == "baseline_cultural_competence"].set_index("statistic")
    x0 = learners.loc[learners["group"] == "control", "cc_pre_mean"].dropna().astype(float)
    x1 = learners.loc[learners["group"] == "intervention", "cc_pre_mean"].dropna().astype(float)
    # reference: by hand, SMD = (m1 - m0) / sqrt((s0^2 + s1^2) / 2); scipy Welch t-test
    assert cc.at["mean", "control"] == pytest.approx(x0.mean())
    assert cc.at["mean", "smd"] == pytest.approx((x1.mean() - x0.mean()) / math.sqrt((x0.var() + x1.var()) / 2))
    assert cc.at["mean", "p_value"] == pytest.approx(sps.ttest_ind(x1, x0, equal_var=False).pvalue)
    lead = t[(t["variable"] == "baseline_leadership") & (t["level"] == "yes")].set_index("statistic")
    p0 = learners.loc[learners["group"] == "control", "leadership_pre"].astype(float).mean()
    p1 = learners.loc[learners["group"] == "intervention", "leadership_pre"].astype(float).mean()
    assert lead.at["percent", "smd"] == pytest.approx((p1 - p0) / math.sqrt((p0 * (1 - p0) + p1 * (1 - p1)) / 2))
    # survey answers, not demographics: never suppressed
    shown = demographics.suppress_small_cells(t, 50)
    assert not shown.loc[shown["variable"].str.startswith("baseline_"), "suppressed"].any()


def test_unknown_covariate_is_a_clear_error(learners):
    with pytest.raises(ValueError, match="covariate 'income'.*params.yaml"):
        effects.adjusted_effects(learners, Arms(), ["income"])


def test_correlations_against_scipy_and_sklearn(learners):
    from sklearn.metrics import matthews_corrcoef

    table = effects.correlations(learners).set_index(["x", "y"])
    ok = learners["cc_change"].notna() & learners["support_post_mean"].notna()
    # reference: scipy.stats.spearmanr
    ref = sps.spearmanr(learners.loc[ok, "cc_change"], learners.loc[ok, "support_post_mean"])
    row = table.loc[("cc_change", "support_post_mean")]
    assert row["r"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
    z, se = math.atanh(row["r"]), 1 / math.sqrt(row["n"] - 3)
    # reference: Fisher's z interval by hand
    assert row["ci_low"] == pytest.approx(math.tanh(z - sps.norm.ppf(0.975) * se))
    assert row["ci_high"] == pytest.approx(math.tanh(z + sps.norm.ppf(0.975) * se))
    for outcome in OUTCOMES:
        y = learners[outcome].astype(int)
        # reference: sklearn's Matthews correlation equals phi for two binary variables
        phi = matthews_corrcoef(learners["previous_activism"].astype(int), y)
        assert table.loc[("previous_activism", outcome), "r"] == pytest.approx(phi)
        # reference: scipy.stats.pointbiserialr
        pb = sps.pointbiserialr(y, learners["age"].astype(float))
        assert table.loc[("age", outcome), "r"] == pytest.approx(pb.statistic)
        assert table.loc[("age", outcome), "p_value"] == pytest.approx(pb.pvalue)
    assert (table["p_holm"] >= table["p_value"] - 1e-15).all()


def test_outcomes_by_stratum_add_up_to_table2(learners):
    by = effects.outcomes_by_stratum(learners, Arms())
    t2 = table2(learners).set_index("outcome")
    sums = by.groupby("outcome")[["control_events", "control_n", "intervention_events", "intervention_n"]].sum()
    pd.testing.assert_frame_equal(sums, t2[sums.columns].loc[sums.index], check_dtype=False)


def test_exact_power_with_fisher_matches_a_seeded_simulation():
    # small arms: expected counts below 5, so Fisher's exact test decides most tables
    n, p0, p1, alpha = 20, 0.05, 0.40, 0.0125
    exact = effects.exact_power(n, p0, p1, alpha=alpha)
    # reference: simulation with a fixed seed, each table tested by the analysis itself
    # (compendium.quantitative.stats.compare_proportions: its own rule, scipy's Fisher test)
    from compendium.quantitative.stats import compare_proportions

    rng = np.random.default_rng(20251026)
    reps = 4000
    c, i = rng.binomial(n, p0, reps), rng.binomial(n, p1, reps)
    cache: dict = {}
    hits = 0
    for a, b in zip(c, i):
        if (a, b) not in cache:
            cache[(a, b)] = compare_proportions(int(a), n, int(b), n).p_value < alpha
        hits += cache[(a, b)]
    sim = hits / reps
    assert abs(exact - sim) < 3 * math.sqrt(sim * (1 - sim) / reps)
    assert any(compare_proportions(int(a), n, int(b), n).test == "fisher" for a, b in cache)


def test_exact_power_with_large_arms_matches_statsmodels_chi2_power():
    from statsmodels.stats.power import GofChisquarePower

    # large arms: chi-square throughout; reference: statsmodels GofChisquarePower (noncentral chi-square,
    # Cohen's w, df = 1), which the exact power approaches
    n, p0, p1 = 400, 0.30, 0.40
    ref = GofChisquarePower().power(effect_size=effects.cohen_w(p0, p1), nobs=2 * n, alpha=0.05, n_bins=2)
    assert effects.exact_power(n, p0, p1, alpha=0.05) == pytest.approx(ref, abs=0.01)


def test_power_planning_from_the_smallest_effect_of_interest_with_holm(learners):
    t2 = table2(learners)
    power = effects.power_planning(t2, alpha=0.05, min_difference=15).set_index("outcome")
    for r in t2.itertuples():
        row = power.loc[r.outcome]
        assert row["alpha_holm"] == pytest.approx(0.05 / 4)  # the first Holm threshold over four outcomes
        p0 = r.control_events / r.control_n
        assert row["target_percent"] == pytest.approx(100 * p0 + 15)  # not the observed intervention percentage
        n80 = int(row["n_per_arm_80"])
        # the planned size reaches 80% and one fewer does not (bisection on the exact power)
        assert effects.exact_power(n80, p0, p0 + 0.15, alpha=0.0125) >= 0.8
        assert effects.exact_power(n80 - 1, p0, p0 + 0.15, alpha=0.0125) < 0.8
        assert row["n_per_arm_90"] >= n80
        assert row["power_here"] == pytest.approx(effects.exact_power(100, p0, p0 + 0.15, alpha=0.0125))


def test_power_planning_edge_cases():
    t2 = pd.DataFrame(
        {
            "outcome": ["a", "b", "c"],
            "control_events": [0, 19, 3],
            "control_n": [10, 20, 0],
            "intervention_events": [2, 20, 1],
            "intervention_n": [12, 20, 5],
            "p_value": [0.5, 0.3, math.nan],
        }
    )
    power = effects.power_planning(t2, min_difference=15).set_index("outcome")
    assert power.at["a", "target_percent"] == pytest.approx(15)
    assert power.at["b", "target_percent"] == pytest.approx(80)  # 95% + 15 would pass 100%: downwards
    assert math.isnan(power.at["c", "n_per_arm_80"])  # no control learner: nothing to plan from
    assert power.at["a", "alpha_holm"] == pytest.approx(0.05 / 2)


def test_cronbach_alpha_by_hand_and_feldt_interval_against_pingouin():
    import pingouin as pg

    rng = np.random.default_rng(3)
    latent = rng.normal(size=80)
    items = pd.DataFrame({f"i{j}": np.clip(np.rint(3 + latent + rng.normal(0, 0.8, 80)), 1, 5) for j in range(5)})
    res = reliability.cronbach(items)
    k = items.shape[1]
    # reference: Cronbach (1951), k/(k-1) * (1 - sum of item variances / variance of the total), by hand
    by_hand = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert res["alpha"] == pytest.approx(by_hand)
    # reference: pingouin.cronbach_alpha's interval (rounded by pingouin to 3 decimals)
    _, ci = pg.cronbach_alpha(data=items)
    assert (round(res["ci_low"], 3), round(res["ci_high"], 3)) == (ci[0], ci[1])


def test_scale_tables_of_the_shipped_data(shipped_study):
    scales = reliability.scales(shipped_study)
    alpha = reliability.reliability(shipped_study.survey, scales)
    assert len(alpha) == 4 and alpha["alpha"].between(0.6, 0.95).all()
    items = reliability.item_statistics(shipped_study.survey, scales)
    assert len(items) == 2 * (len(scales["cultural_competence"]) + len(scales["support"]))
    assert (items["n"] + items["missing"] == 200).all()


def _by_site(learners):
    rng = np.random.default_rng(5)
    frame = learners.copy()
    frame["site"] = rng.choice(["north", "south", "east"], size=len(frame))
    return frame


def test_pooled_sites_match_statsmodels_combine_effects(learners):
    from statsmodels.stats.meta_analysis import combine_effects

    frame = _by_site(learners)
    # make one site differ: its intervention learners lose half their participation events
    hit = frame.index[(frame["site"] == "east") & (frame["group"] == "intervention") & frame["active_participation"]]
    frame.loc[hit[::2], "active_participation"] = False
    by_site = sites.table2_by_site(frame, Arms())
    pooled = sites.meta_analysis(by_site).set_index(["outcome", "measure"])
    eff = sites.site_effects(by_site)
    checked = set()
    for outcome in OUTCOMES:
        part = eff[eff["outcome"] == outcome]
        for measure, y, v in (("risk_difference", "rd", "rd_var"), ("log_odds_ratio", "log_or", "log_or_var")):
            # reference: statsmodels.stats.meta_analysis.combine_effects(method_re="dl"). statsmodels
            # leaves a negative moment estimate of tau-squared untruncated; DerSimonian-Laird truncate
            # it at zero, where the random-effects estimate equals the fixed-effect one.
            ref = combine_effects(part[y].to_numpy(), part[v].to_numpy(), method_re="dl")
            row = pooled.loc[(outcome, measure)]
            frame = ref.summary_frame().loc["random effect" if ref.tau2 > 0 else "fixed effect"]
            assert row["estimate"] == pytest.approx(frame["eff"])
            assert row["ci_low"] == pytest.approx(frame["ci_low"]) and row["ci_high"] == pytest.approx(frame["ci_upp"])
            assert row["tau2"] == pytest.approx(max(ref.tau2, 0.0))
            assert row["i2"] == pytest.approx(100 * max(ref.i2, 0.0))
            assert row["q"] == pytest.approx(ref.q)
            checked.add(ref.tau2 > 0)
    assert checked == {True, False}, "both a heterogeneous and a homogeneous case should be checked"


def test_site_rows_add_up_to_table2(learners):
    by_site = sites.table2_by_site(_by_site(learners), Arms())
    t2 = table2(learners).set_index("outcome")
    cols = ["control_events", "control_n", "intervention_events", "intervention_n"]
    sums = by_site.groupby("outcome")[cols].sum()
    pd.testing.assert_frame_equal(sums, t2[cols].loc[sums.index], check_dtype=False)


def test_pooling_needs_two_sites():
    with pytest.raises(ValueError, match="at least two sites"):
        sites.dersimonian_laird([0.1], [0.01])


def _small_cell_participants() -> pd.DataFrame:
    """40 learners, 20 per arm; 2 of the control arm's genders are 'X' (a cell below 5)."""
    return pd.DataFrame(
        {
            "participant_id": [f"p{i}" for i in range(40)],
            "site": "all",
            "group": ["control"] * 20 + ["intervention"] * 20,
            "gender": ["F"] * 10 + ["M"] * 8 + ["X"] * 2 + ["F"] * 10 + ["M"] * 10,
            "ethnicity": ["A"] * 20 + ["B"] * 20,
            "age": 25.0,
            "previous_activism": pd.array([True] * 6 + [False] * 14 + [True] * 6 + [False] * 14, dtype="boolean"),
        }
    )


def test_small_cells_are_suppressed_with_a_complementary_cell():
    participants = _small_cell_participants()
    t1 = demographics.suppress_small_cells(demographics.table1(participants, Arms()), 5)
    g = t1[(t1["variable"] == "gender") & (t1["statistic"] == "n")].set_index("level")
    assert math.isnan(g.at["X", "control"])  # 2 learners: hidden
    assert math.isnan(g.at["M", "control"])  # smallest other cell: hidden too, else 20 - 10 - 8 gives X away
    assert g.at["F", "control"] == 10 and g.at["M", "intervention"] == 10
    assert g.loc["X", "suppressed"] and not g.loc["F", "suppressed"]
    pct = t1[(t1["variable"] == "gender") & (t1["statistic"] == "percent")].set_index("level")
    assert math.isnan(pct.at["X", "control"])
    assert t1.loc[t1["variable"] == "n", "control"].iloc[0] == 20  # arm sizes stay


def test_shipped_table1_needs_no_suppression(shipped_study):
    t1 = demographics.suppress_small_cells(demographics.table1(shipped_study.participants), 5)
    assert not t1["suppressed"].any()


def test_figures_are_deterministic(learners, tmp_path):
    from compendium.reporting import figures

    t2 = table2(learners)
    for run in ("a", "b"):
        figures.save(figures.outcome_proportions(t2, ("control", "intervention")), "fig", tmp_path / run)
    for ext in ("png", "svg"):
        assert (tmp_path / "a" / f"fig.{ext}").read_bytes() == (tmp_path / "b" / f"fig.{ext}").read_bytes()


def test_single_site_run_removes_stale_site_files(tmp_path, monkeypatch):
    from compendium.reporting import tables as table_writers

    monkeypatch.setenv("COMPENDIUM_ROOT", str(tmp_path))
    tables, figs = tmp_path / "reports" / "tables", tmp_path / "reports" / "figures"
    tables.mkdir(parents=True)
    figs.mkdir(parents=True)
    for name in ("table2_by_site.csv", "table2_by_site.md", "meta_analysis.csv", "meta_analysis.md"):
        (tables / name).write_text("stale")
    (figs / "forest_sites_leadership_role.png").write_text("stale")
    table_writers.write_site_outputs(None, None, "# Sites\n\nOne site.\n")
    assert sorted(p.name for p in tables.iterdir()) == ["sites.md"]
    assert not list(figs.iterdir())


def test_clustered_effects_match_statsmodels_gee_formula_and_one_site_says_so(tmp_path, learners):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    synthesize(tmp_path / "raw", seed=3, scale=1, sites=3)
    s = load_study(tmp_path / "raw")
    three = derive(s.participants, s.survey, s.cc_items, s.support_items)
    table = effects.clustered_effects(three, s.arms).set_index("outcome")
    for outcome in OUTCOMES:
        data = three[three[outcome].notna()].assign(
            y=lambda d: d[outcome].astype(float), arm=lambda d: (d["group"] == "intervention").astype(float)
        )
        # reference: statsmodels' formula GEE, exchangeable within site, bias-reduced covariance;
        # interval by hand from its standard error with t(sites - 1)
        fit = smf.gee(
            "y ~ arm", groups="site", data=data, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()
        ).fit(cov_type="bias_reduced")
        q = sps.t.ppf(0.975, 2)
        row = table.loc[outcome]
        assert row["odds_ratio"] == pytest.approx(math.exp(fit.params["arm"]), rel=1e-6)
        assert row["ci_low"] == pytest.approx(math.exp(fit.params["arm"] - q * fit.bse["arm"]), rel=1e-6)
        assert row["sites"] == 3 and "3 sites" in row["note"]
    one = effects.clustered_effects(learners, Arms())
    assert one["odds_ratio"].isna().all() and one["note"].str.startswith("one site").all()


def test_a_hidden_complementary_count_is_not_printed_as_below_k():
    """The complement hidden beside a single small count is 5 or more: Table 1 must not
    print it as '<5' (an unseen study, independent design seed 12, printed a count of
    17 as '<5'). The reference is the raw count of the fixture."""
    from compendium.reporting import tables

    participants = _small_cell_participants()
    t1 = demographics.suppress_small_cells(demographics.table1(participants, Arms()), 5)
    md = tables.table1_markdown(t1, Arms(), min_cell=5)
    row = next(line for line in md.splitlines() if line.startswith("|   M "))
    control = row.split("|")[2].strip()
    assert control != "<5"  # the control arm has 8 M: hidden as X's complement, not below 5
    assert control == tables.SUPPRESSED_CELL


def _sites_learners(counts: dict[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """Learners with one outcome from per-site counts (control events, control n,
    intervention events, intervention n); the other outcomes are missing."""
    rows = []
    for site, (ce, cn, ie, in_) in counts.items():
        for group, events, n in (("control", ce, cn), ("intervention", ie, in_)):
            rows += [{"site": site, "group": group, "active_participation": k < events} for k in range(n)]
    frame = pd.DataFrame(rows)
    for o in OUTCOMES:
        if o != "active_participation":
            frame[o] = pd.NA
    frame["active_participation"] = frame["active_participation"].astype("boolean")
    return frame


def test_clustered_model_needs_two_sites_that_compare_the_arms():
    """A hand-made study (64 learners, three sites): 6/12 against 5/14 at one site, and
    nobody with the outcome at the other two, so 20% against 20% overall. The GEE gave
    OR 0.65, 95% CI 0.47 to 0.92 (p = .03) from one informative site, and the manuscript
    printed it as the site-respecting estimate. The reference for 'informative' is
    the pooled analysis, which leaves out the same two sites (sites.meta_analysis)."""
    counts = {"coastal": (6, 12, 5, 14), "highland": (0, 9, 0, 10), "metro": (0, 9, 0, 1)}
    learners = _sites_learners(counts)
    row = effects.clustered_effects(learners, Arms()).set_index("outcome").loc["active_participation"]
    assert math.isnan(row["odds_ratio"]) and row["sites"] == 3
    assert row["note"] == f"not estimable: {effects.FEW_INFORMATIVE_SITES}"
    from scratch import site_table

    by_site = site_table((s, "active_participation", *c) for s, c in counts.items())
    pooled = sites.meta_analysis(by_site).set_index("measure").loc["log_odds_ratio"]
    assert pooled["sites"] == 1  # the pooled analysis has one informative site as well
    # two sites that compare the arms: the model is fitted
    counts["highland"] = (2, 9, 4, 10)
    row = effects.clustered_effects(_sites_learners(counts), Arms()).set_index("outcome").loc["active_participation"]
    assert math.isfinite(row["odds_ratio"]) and row["note"].startswith("3 sites")


def test_manuscript_says_why_the_site_model_gave_no_odds_ratio():
    from compendium.reporting import manuscript

    results = {
        "table2.active_participation.control_percent": 20.0,
        "table2.leadership_role.control_percent": 0.0,
        "clustered.active_participation.sites": 3,
        "clustered.active_participation.note": f"not estimable: {effects.FEW_INFORMATIVE_SITES}",
        "clustered.leadership_role.sites": 3,
        "clustered.leadership_role.note": "not estimable: the model did not converge (separation or too few sites)",
    }
    text = manuscript.Prose(results).clustered_unestimable()
    assert "active participation in anti-racist initiatives: fewer than two sites held both arms" in text
    assert "for leadership roles in social change efforts: it did not converge" in text
