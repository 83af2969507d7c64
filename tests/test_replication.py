"""The replication report (compendium.checks.replication): each rule against an
independent computation, one hand-built case per verdict, the analysis plan's hash and
departures, and a whole run on a study the project never saw.

References: statsmodels' power functions (NormalIndPower, proportion_effectsize) for
Simonsohn's d33; statsmodels' confint_proportions_2indep (method "newcomb") for the
Newcombe intervals; scipy's chi2_contingency and fisher_exact for the tests of Table 2;
statsmodels' combine_effects (method "dl") and scipy's t for the pooling and the
prediction interval.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import chi2_contingency, fisher_exact, norm, t
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize

from compendium.checks import replication as rep

RULES = rep.Rules(alpha=0.05, level=0.95, telescope_power=0.33)

# A record in the shape of data/reference/published.yaml (not the shipped file: tests
# must not depend on it), with one arm comparison, one baseline number and one
# qualitative count.
DOC = {
    "claims": [
        {"id": "table1.n.control", "where": "Table 1", "text": "n=100", "value": 100, "kind": "count",
         "decimals": 0, "key": "table1.n.n.control"},
        {"id": "table1.n.intervention", "where": "Table 1", "text": "n=100", "value": 100, "kind": "count",
         "decimals": 0, "key": "table1.n.n.intervention"},
        {"id": "t2.x.control", "where": "Table 2, Outcome X", "text": "12%", "value": 12, "kind": "percent",
         "decimals": 0, "key": "table2.leadership_role.control_percent"},
        {"id": "t2.x.intervention", "where": "Table 2, Outcome X", "text": "45%", "value": 45, "kind": "percent",
         "decimals": 0, "key": "table2.leadership_role.intervention_percent"},
        {"id": "t2.x.p", "where": "Table 2, Outcome X", "text": "<0.001", "value": 0.001, "kind": "p_below",
         "decimals": 3, "key": "table2.leadership_role.p_value"},
        {"id": "text.x.intervention", "where": "Results", "text": "45%", "value": 45, "kind": "percent",
         "decimals": 0, "key": "table2.leadership_role.intervention_percent"},
        {"id": "themes.count", "where": "Results", "text": "12 learners", "value": 12, "kind": "count",
         "decimals": 0, "key": "themes.some_code.learners"},
    ]
}  # fmt: skip


def ref_d33(p0: float, n0: int, n1: int, alpha: float = 0.05, power: float = 0.33) -> float:
    """Reference: statsmodels' power of the two-sample z test on Cohen's h, inverted by
    scipy's root finder (statsmodels' own solve_power stops at about 1e-5 of the power)."""
    from scipy.optimize import brentq

    h = brentq(lambda h: NormalIndPower().power(h, nobs1=n1, alpha=alpha, ratio=n0 / n1) - power, 1e-6, 3, xtol=1e-13)
    coarse = NormalIndPower().solve_power(effect_size=None, nobs1=n1, alpha=alpha, power=power, ratio=n0 / n1)
    assert h == pytest.approx(coarse, rel=1e-4)
    return math.sin(math.asin(math.sqrt(p0)) + h / 2) ** 2 - p0


def ref_p(e1: int, n1: int, e0: int, n0: int, min_expected: float = 5) -> float:
    """Reference: Pearson's chi-square (no correction) or, with a small expected count, Fisher."""
    table = np.array([[e1, n1 - e1], [e0, n0 - e0]])
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if (expected >= min_expected).all():
        return float(chi2_contingency(table, correction=False).pvalue)
    return float(fisher_exact(table).pvalue)


def newcombe(e1, n1, e0, n0, alpha):
    lo, hi = confint_proportions_2indep(e1, n1, e0, n0, method="newcomb", compare="diff", alpha=alpha)
    return float(lo), float(hi)


def site_row(site: str, e0: int, n0: int, e1: int, n1: int, outcome="leadership_role") -> dict:
    """A Table 2 row of one site, computed with scipy and statsmodels only."""
    lo, hi = newcombe(e1, n1, e0, n0, 0.05)
    return {
        "site": site,
        "outcome": outcome,
        "control_events": e0,
        "control_n": n0,
        "intervention_events": e1,
        "intervention_n": n1,
        "p_value": ref_p(e1, n1, e0, n0),
        "risk_difference": e1 / n1 - e0 / n0,
        "rd_ci_low": lo,
        "rd_ci_high": hi,
    }


def expected_verdict(original, estimate, p, interval, upper, small, alpha=0.05) -> str:
    """The combination rule as the report states it, written out again."""
    if upper < small:
        return "not replicated"
    if p < alpha:
        return "replicated" if np.sign(estimate) == np.sign(original) else "not replicated"
    if not interval[0] <= original <= interval[1]:
        return "not replicated"
    return "inconclusive"


# --------------------------------------------------------------------------- the claims


def test_claims_are_arm_comparisons_and_every_other_number_cannot_be_judged():
    claims, others = rep.original_claims(DOC)
    assert claims["claim"].tolist() == ["table2.leadership_role"]
    c = claims.iloc[0]
    assert c["original"] == pytest.approx(0.33) and (c["n_control"], c["n_intervention"]) == (100, 100)
    assert c["published_ids"] == ["t2.x.control", "t2.x.intervention", "t2.x.p", "text.x.intervention"]
    assert set(others["claim"]) == {"table1.n.control", "table1.n.intervention", "themes.count"}
    assert "baseline" in others.set_index("claim").at["table1.n.control", "reason"]
    assert "themes.some_code.learners" in others.set_index("claim").at["themes.count", "reason"]


# --------------------------------------------------------------------------- rule (c): small telescopes


@pytest.mark.parametrize(("p0", "n0", "n1"), [(0.12, 100, 100), (0.05, 100, 100), (0.3, 40, 70), (0.6, 250, 120)])
def test_d33_matches_statsmodels_power(p0, n0, n1):
    got = rep.d33(p0, n0, n1, 0.05, 0.33)
    assert got == pytest.approx(ref_d33(p0, n0, n1), rel=1e-6)
    h = proportion_effectsize(p0 + got, p0)
    power = NormalIndPower().power(effect_size=h, nobs1=n1, alpha=0.05, ratio=n0 / n1)
    assert power == pytest.approx(0.33, abs=1e-6)
    assert rep.power_two_proportions(h, n1, n0, 0.05) == pytest.approx(power, rel=1e-9)


@pytest.mark.parametrize(("p0", "n0", "n1"), [(0.45, 100, 100), (0.2, 60, 90)])
def test_d33_of_a_decrease_matches_statsmodels_power(p0, n0, n1):
    """An original that lowered the rate: d33 is the decrease from the control rate."""
    from scipy.optimize import brentq

    got = rep.d33(p0, n0, n1, 0.05, 0.33, direction=-1)
    h = brentq(lambda h: NormalIndPower().power(h, nobs1=n1, alpha=0.05, ratio=n0 / n1) - 0.33, 1e-6, 3, xtol=1e-13)
    assert proportion_effectsize(p0, p0 - got) == pytest.approx(h, rel=1e-7)
    assert got > 0


def test_d33_unknown_without_arm_sizes():
    assert math.isnan(rep.d33(0.1, math.nan, 100, 0.05))


def test_site_upper_bound_is_the_newcombe_limit_at_twice_alpha():
    claims, _ = rep.original_claims(DOC)
    rows, _ = rep.judge_sites(claims, pd.DataFrame([site_row("A", 20, 150, 31, 140)]), RULES)
    r = rows.iloc[0]
    assert r["upper_bound"] == pytest.approx(newcombe(31, 140, 20, 150, 0.10)[1], rel=1e-7)
    assert r["d33"] == pytest.approx(ref_d33(0.12, 100, 100), rel=1e-6)
    assert r["below_d33"] == (r["upper_bound"] < r["d33"])


# --------------------------------------------------------------------------- one case per verdict

CASES = {
    # (control events, n, intervention events, n): verdict, deciding rule
    "large and clear": ((10, 100, 45, 100), "replicated", "(a)"),
    "large, near zero": ((100, 1000, 105, 1000), "not replicated", "(c)"),
    "significant, reversed": ((45, 100, 10, 100), "not replicated", "(c)"),
    "null, excludes original": ((10, 60, 14, 60), "not replicated", "(b)"),
    "too small to tell": ((1, 5, 2, 5), "inconclusive", "not below d33"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hand_built_site_gets_its_verdict(case):
    (e0, n0, e1, n1), verdict, rule = CASES[case]
    claims, _ = rep.original_claims(DOC)
    row = site_row("A", e0, n0, e1, n1)
    rows, cannot = rep.judge_sites(claims, pd.DataFrame([row]), RULES)
    r = rows.iloc[0]
    assert not cannot and r["verdict"] == verdict and rule in r["rule"], r.to_dict()
    upper = newcombe(e1, n1, e0, n0, 0.10)[1]
    ref = expected_verdict(0.33, row["risk_difference"], row["p_value"], newcombe(e1, n1, e0, n0, 0.05), upper,
                           ref_d33(0.12, 100, 100))  # fmt: skip
    assert ref == verdict


def test_the_combination_rule_covers_every_branch():
    assert rep.combine(True, True, True, False)[0] == "replicated"
    assert rep.combine(True, True, False, False)[0] == "replicated"  # significant, larger than the original
    assert rep.combine(True, True, True, True)[0] == "not replicated"  # significant but smaller than d33
    assert rep.combine(False, True, False, None)[0] == "not replicated"
    assert rep.combine(True, False, False, False)[0] == "not replicated"
    assert rep.combine(True, False, True, False)[0] == "inconclusive"
    assert rep.combine(True, False, None, None)[0] == "inconclusive"


def test_a_site_without_learners_in_an_arm_cannot_speak():
    claims, _ = rep.original_claims(DOC)
    row = site_row("A", 3, 10, 5, 10) | {"intervention_events": 0, "intervention_n": 0, "risk_difference": math.nan}
    rows, cannot = rep.judge_sites(claims, pd.DataFrame([row]), RULES)
    assert rows.empty and cannot == [{"claim": "table2.leadership_role", "site": "A", "reason": cannot[0]["reason"]}]


# --------------------------------------------------------------------------- pooled: rule (b)'s prediction interval


def test_prediction_interval_matches_scipy_t_on_statsmodels_pooling():
    y, v = np.array([0.1, 0.4, 0.25, 0.05]), np.array([0.004, 0.006, 0.005, 0.003])
    res = combine_effects(y, v, method_re="dl")
    assert res.tau2 > 0
    lo, hi = rep.prediction_interval(res.mean_effect_re, res.sd_eff_w_re, res.tau2, 4, 0.95)
    half = t.ppf(0.975, 2) * math.sqrt(res.tau2 + res.sd_eff_w_re**2)
    assert (lo, hi) == pytest.approx((res.mean_effect_re - half, res.mean_effect_re + half), rel=1e-9)
    assert all(map(math.isnan, rep.prediction_interval(0.1, 0.05, 0.01, 2, 0.95)))


def test_pooled_rows_use_the_prediction_interval_and_a_one_sided_bound():
    from compendium.quantitative.sites import meta_analysis

    claims, _ = rep.original_claims(DOC)
    by_site = pd.DataFrame([site_row("A", 5, 50, 20, 50), site_row("B", 10, 60, 12, 60), site_row("C", 4, 40, 15, 40)])
    pooled = meta_analysis(by_site.assign(test="chi2"))
    rows, cannot = rep.judge_pooled(claims, pooled, RULES)
    r = rows.iloc[0]
    m = pooled[pooled["measure"] == "risk_difference"].iloc[0]
    assert not cannot and r["site"] == "pooled" and r["interval"] == "PI" and r["sites"] == 3
    assert r["upper_bound"] == pytest.approx(m["estimate"] + norm.ppf(0.95) * m["se"])
    assert r["interval_low"] < r["ci_low"] and r["interval_high"] > r["ci_high"]


# --------------------------------------------------------------------------- the shipped twin and the plan


def test_on_the_twin_the_report_has_the_same_shape_and_nothing_judged():
    twin = rep.not_applicable(RULES)
    judged = rep.judge(DOC, pd.DataFrame([site_row("A", 10, 100, 45, 100)]), None, RULES, primary="leadership_role")
    assert set(twin) - {"reason"} == set(judged) and not twin["claims"] and not twin["applies"]
    assert "replicated" in rep.markdown(judged) and "applies to another study's data" in rep.markdown(twin)
    assert judged["claims"][0]["primary"] is True
    assert judged["headline"] == rep.headline(judged) and "1 replicated" in judged["headline"]


def test_every_record_number_is_judged_or_listed():
    report = rep.judge(DOC, pd.DataFrame([site_row("A", 10, 100, 45, 100)]), None, RULES)
    covered = {i for c in report["original_claims"] for i in c["published_ids"]}
    covered |= {c["claim"] for c in report["cannot_speak_to"]}
    assert covered == {c["id"] for c in DOC["claims"]}
    for field in ("claim", "original", "estimate", "ci_low", "ci_high", "site", "verdict", "rule"):
        assert field in report["claims"][0]


PARAMS = {
    "outcomes": {"primary": "leadership_role", "ci_level": 0.95},
    "deidentify": {"names": "Ada Quill", "institutions": ""},
    "replication": {"alpha": 0.05, "plan_sha256": ""},
}


def test_a_plan_hashes_its_content_and_withholds_names():
    plan = rep.make_plan(PARAMS, "abc123", False, "1.0", rep.outcome_data_state(None))
    assert plan["sha256"] == rep.plan_hash(plan) and len(plan["sha256"]) == 64
    assert "Ada Quill" not in json.dumps(plan) and plan["primary_outcome"] == "leadership_role"
    assert "plan_sha256" not in plan["parameters"]["replication"]


def test_a_run_is_compared_with_the_plan():
    plan = rep.make_plan(PARAMS, "abc123", False, "1.0", rep.outcome_data_state(None))
    same = PARAMS | {"replication": {"alpha": 0.05, "plan_sha256": plan["sha256"]}}
    ok = rep.compare_with_plan(plan, same, plan["sha256"])
    assert ok["followed"] and ok["intact"] and not ok["departures"]
    changed = same | {"outcomes": {"primary": "active_participation", "ci_level": 0.95}}
    moved = rep.compare_with_plan(plan, changed, plan["sha256"])
    assert not moved["followed"] and moved["departures"] == [
        {"parameter": "outcomes.primary", "planned": "leadership_role", "used": "active_participation"}
    ]
    tampered = json.loads(json.dumps(plan))
    tampered["primary_outcome"] = "perceived_support"
    assert not rep.compare_with_plan(tampered, same, plan["sha256"])["intact"]
    assert rep.compare_with_plan(None, same, "")["frozen"] is False


def test_outcome_data_state_counts_answered_post_rows():
    survey = pd.DataFrame(
        {"participant_id": ["a", "a", "b"], "wave": ["pre", "post", "POST"], "leadership": ["no", "", "yes"]}
    )
    assert rep.outcome_data_state(survey) == {"post_rows": 2, "post_rows_answered": 1, "before_outcomes": False}
    assert rep.outcome_data_state(survey.iloc[:2])["before_outcomes"] is True


# --------------------------------------------------------------------------- a study never seen


@pytest.fixture(scope="module")
def independent_run(tmp_path_factory) -> Path:
    from scratch import make_project, reproduce, study_params

    from compendium.synthesize import synthesize

    base = tmp_path_factory.mktemp("replication")
    raw, truth = base / "data" / "raw", base / "data" / "synthetic"
    synthesize(raw, seed=5, design="independent", truth_dir=truth)
    project = make_project(base / "compendium", raw, truth)
    params = project / "params.yaml"
    params.write_text(study_params(params.read_text()))
    return reproduce(project)


@pytest.mark.e2e
@pytest.mark.pipeline
def test_an_independent_study_gets_a_verdict_for_every_claim(independent_run):
    project = independent_run
    report = json.loads((project / "reports" / "replication.json").read_text())
    doc = yaml.safe_load((project / "data" / "reference" / "published.yaml").read_text())
    by_site = pd.read_csv(project / "reports" / "tables" / "table2_by_site.csv", dtype={"site": str})
    sites = sorted(by_site["site"].unique())
    assert report["applies"] and len(sites) == 3

    # every number of the record: judged (per site and pooled) or listed as one the data cannot speak to
    judged = {c["claim"]: set(c["published_ids"]) for c in report["original_claims"]}
    listed = {c["claim"] for c in report["cannot_speak_to"] if not c["site"]}
    assert set().union(*judged.values()) | listed == {c["id"] for c in doc["claims"]}
    pairs = {(r["claim"], r["site"]) for r in report["claims"]}
    pairs |= {(c["claim"], c["site"]) for c in report["cannot_speak_to"] if c["site"]}
    assert pairs == {(c, s) for c in judged for s in [*sites, "pooled"]}
    assert {r["verdict"] for r in report["claims"]} <= set(rep.VERDICTS)

    ci_level = yaml.safe_load((project / "params.yaml").read_text())["outcomes"]["ci_level"]
    z = norm.ppf(1 - (1 - ci_level) / 2)
    original = {c["claim"]: c for c in report["original_claims"]}
    for r in report["claims"]:
        o = original[r["claim"]]
        small = ref_d33(o["control"], int(o["n_control"]), int(o["n_intervention"]))
        part = by_site[by_site["outcome"] == r["outcome"]]
        if r["site"] != "pooled":
            s = part[part["site"] == r["site"]].iloc[0]
            e1, n1, e0, n0 = (
                int(s[k]) for k in ("intervention_events", "intervention_n", "control_events", "control_n")
            )
            p, ci = ref_p(e1, n1, e0, n0), newcombe(e1, n1, e0, n0, 1 - ci_level)
            upper, estimate, interval = newcombe(e1, n1, e0, n0, 0.10)[1], e1 / n1 - e0 / n0, ci
        else:
            # reference: statsmodels' DerSimonian-Laird on Wald variances computed here;
            # statsmodels keeps a negative moment estimate of tau2, DerSimonian-Laird truncate it at 0
            p1 = part["intervention_events"] / part["intervention_n"]
            p0 = part["control_events"] / part["control_n"]
            y = (p1 - p0).to_numpy()
            v = (p1 * (1 - p1) / part["intervention_n"] + p0 * (1 - p0) / part["control_n"]).to_numpy()
            res = combine_effects(y, v, method_re="dl")
            if res.tau2 > 0:
                estimate, se, tau2 = res.mean_effect_re, res.sd_eff_w_re, res.tau2
            else:
                estimate, se, tau2 = res.mean_effect_fe, res.sd_eff_w_fe, 0.0
            ci = (estimate - z * se, estimate + z * se)
            p = 2 * norm.sf(abs(estimate / se))
            half = t.ppf(1 - (1 - ci_level) / 2, len(y) - 2) * math.sqrt(tau2 + se**2)
            interval = (max(estimate - half, -1.0), min(estimate + half, 1.0))  # a risk difference's range
            upper = estimate + norm.ppf(0.95) * se
            assert r["tau2"] == pytest.approx(tau2, abs=1e-7)
            assert r["i2"] == pytest.approx(max(0.0, res.i2) * 100, abs=1e-5)
            assert (r["interval_low"], r["interval_high"]) == pytest.approx(interval, rel=1e-6)
        assert r["estimate"] == pytest.approx(estimate, rel=1e-6, abs=1e-9)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(ci, rel=1e-6, abs=1e-9)
        assert r["p_value"] == pytest.approx(p, rel=1e-5)
        assert r["d33"] == pytest.approx(small, rel=1e-6)
        assert r["upper_bound"] == pytest.approx(upper, rel=1e-6)
        assert r["verdict"] == expected_verdict(r["original"], estimate, p, interval, upper, small), r
    text = (project / "reports" / "replication.md").read_text()
    assert "## Rules" in text and text.index("## Rules") < text.index("## Verdicts")


@pytest.mark.e2e
@pytest.mark.pipeline
def test_verify_in_a_replication_clone_checks_its_own_bytes_not_the_paper(independent_run, tmp_path):
    """``compendium verify`` on another study's committed results: byte identity of its own
    reports/ decides; the original paper's numbers are listed, not failed on."""
    import shutil
    import subprocess

    from scratch import copy_project, run

    project = copy_project(independent_run, tmp_path / "clone")
    shutil.rmtree(project / "data" / "interim", ignore_errors=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "a replication's results"], cwd=project, check=True)
    result = run(project, "verify")
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:] + out[:2000]
    assert " 0 differ" in out and "not failed on" in out and "verify: PASSED" in out
    m = re.search(r"(\d+) published claims: (\d+) match", out)
    assert m and int(m.group(2)) < int(m.group(1))  # the paper's numbers differ here, and that is no failure


@pytest.mark.pipeline
def test_on_the_shipped_twin_the_report_says_it_applies_to_other_data(shipped_run):
    report = json.loads((shipped_run / "reports" / "replication.json").read_text())
    assert report["applies"] is False and report["claims"] == [] and report["cannot_speak_to"] == []
    assert report["plan"]["frozen"] is False
    text = (shipped_run / "reports" / "replication.md").read_text()
    assert "applies to another study's data" in text and "## Rules" in text


def test_the_twin_report_says_its_disclaimer_once_and_the_rules_are_fixed_only_under_a_followed_plan():
    twin = rep.not_applicable(RULES)
    text = rep.markdown(twin, "Synthetic data: a note that the reason already covers.")
    assert text.count("synthetic twin") == 1 and "Synthetic data:" not in text
    assert "## Rules (set in params.yaml `replication`)" in text and "fixed before the results" not in text
    judged = rep.judge(DOC, pd.DataFrame([site_row("A", 10, 100, 45, 100)]), None, RULES, primary="leadership_role")
    assert "fixed before the results" not in rep.markdown(judged, plan={"followed": False, "statement": "x"})
    assert "fixed before the results" in rep.markdown(judged, plan={"followed": True, "statement": "x"})


def test_a_risk_difference_prediction_interval_stays_within_minus_one_to_one():
    """Three sites with tau² 0.106 (a hand-made study): t(1) = 12.7 made the interval
    -4.38 to 5.48, printed as -438.4 to 547.5 percentage points. The reference is the
    unbounded interval, cut at the values a risk difference can take."""
    free = rep.prediction_interval(0.545211, 0.210269, 0.106288, 3, 0.95)
    assert free[0] < -4 and free[1] > 5
    assert rep.prediction_interval(0.545211, 0.210269, 0.106288, 3, 0.95, bounds=(-1.0, 1.0)) == (-1.0, 1.0)
    narrow = rep.prediction_interval(0.1, 0.01, 0.0, 30, 0.95, bounds=(-1.0, 1.0))
    assert narrow == rep.prediction_interval(0.1, 0.01, 0.0, 30, 0.95)
