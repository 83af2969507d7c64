"""Agreement between coders.

Each code is judged present or absent on each unit; agreement is computed over the
units of the sources that the coders being compared have all coded. Everything is
vectorised over units and codes (boolean matrices), with no loop over units.

Krippendorff's alpha is implemented here (the ``krippendorff`` package is
GPL-licensed and this project is MIT): the general coincidence-matrix form for
nominal, ordinal, interval and ratio data with missing values, checked against
Krippendorff's (2011) published examples, plus a closed form for two coders and a
binary code.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

IRR_COLUMNS = [
    "code",
    "theme",
    "units",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
    "coder_1_count",
    "coder_2_count",
    "flagged",
    # added: intervals resampling sources, and specific agreement
    "sources",
    "kappa_ci_low",
    "kappa_ci_high",
    "alpha_ci_low",
    "alpha_ci_high",
    "positive_agreement",
    "negative_agreement",
]


# --------------------------------------------------------------------------- coefficients


def krippendorff_alpha(data, level: str = "nominal") -> float:
    """Krippendorff's alpha of a coders-by-units array (NaN for a missing value).

    Units with fewer than two values are not pairable and are left out. Returns NaN
    when the data hold no variation to measure agreement against.
    """
    values = np.asarray(data, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"expected a coders-by-units table, found an array of {values.ndim} dimension(s)")
    counts_per_unit = (~np.isnan(values)).sum(axis=0)
    values = values[:, counts_per_unit >= 2]
    if values.size == 0:
        return math.nan
    domain = np.unique(values[~np.isnan(values)])
    if len(domain) < 2:
        return math.nan
    index = {v: i for i, v in enumerate(domain)}
    # value counts per unit: units x categories
    n_uc = np.zeros((values.shape[1], len(domain)))
    for coder in values:
        ok = ~np.isnan(coder)
        np.add.at(n_uc, (np.flatnonzero(ok), np.array([index[v] for v in coder[ok]], dtype=int)), 1)
    m_u = n_uc.sum(axis=1)
    coincidence = np.einsum("uc,uk->ck", n_uc / (m_u - 1)[:, None], n_uc)
    coincidence -= np.diag((n_uc / (m_u - 1)[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    delta = _metric(domain, n_c, level)
    observed = (coincidence * delta).sum() / n
    expected = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1))
    return math.nan if expected == 0 else float(1 - observed / expected)


def _metric(domain: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    c, k = np.meshgrid(domain, domain, indexing="ij")
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            d = ((c - k) / (c + k)) ** 2
        return np.nan_to_num(d)
    if level == "ordinal":
        cum = np.cumsum(n_c)
        i, j = np.meshgrid(np.arange(len(domain)), np.arange(len(domain)), indexing="ij")
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        between = cum[hi] - np.where(lo > 0, cum[lo - 1], 0)
        return (between - (n_c[i] + n_c[j]) / 2) ** 2
    raise ValueError(f"level must be nominal, ordinal, interval or ratio, found {level!r}")


def binary_agreement(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column agreement of two coders' boolean units-by-codes matrices:
    percent agreement, Cohen's kappa and Krippendorff's alpha (nominal). A
    coefficient that is undefined (no variation) is NaN."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    n = a.shape[0]
    n11 = (a & b).sum(axis=0).astype(float)
    n00 = (~a & ~b).sum(axis=0).astype(float)
    disagree = n - n11 - n00
    pa, pb = a.mean(axis=0), b.mean(axis=0)
    po = (n11 + n00) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
        # two coders, binary, no missing values: o01 + o10 = 2 * disagreements over 2n pairable values
        ones = (a.sum(axis=0) + b.sum(axis=0)).astype(float)
        zeros = 2 * n - ones
        alpha = np.where((ones > 0) & (zeros > 0), 1 - (2 * n - 1) * (2 * disagree) / (2 * ones * zeros), np.nan)
    return {
        "percent_agreement": 100 * po,
        "cohen_kappa": kappa,
        "krippendorff_alpha": alpha,
        "count_1": a.sum(axis=0),
        "count_2": b.sum(axis=0),
    }


def fleiss_kappa(ratings: np.ndarray) -> float:
    """Fleiss' kappa from a units-by-categories table of rater counts (equal raters per unit)."""
    table = np.asarray(ratings, dtype=float)
    n_raters = table.sum(axis=1)
    if len(table) == 0 or not np.allclose(n_raters, n_raters[0]) or n_raters[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (at least two) of ratings on every unit")
    r = n_raters[0]
    p_j = table.sum(axis=0) / table.sum()
    p_i = ((table**2).sum(axis=1) - r) / (r * (r - 1))
    pe = (p_j**2).sum()
    return math.nan if pe == 1 else float((p_i.mean() - pe) / (1 - pe))


# --------------------------------------------------------------------------- coding matrices


def coded_sources(codings: pd.DataFrame, coder: str) -> set[str]:
    return set(codings.loc[codings["coder"] == coder, "source_id"])


def matrix(codings: pd.DataFrame, coder: str, units: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Boolean units-by-codes matrix of one coder (rows in the order of ``units``)."""
    rows = pd.MultiIndex.from_arrays([units["source_id"], units["unit"].astype(int)])
    mine = codings[codings["coder"] == coder]
    keys = pd.MultiIndex.from_arrays([mine["source_id"], mine["unit"].astype(int)])
    r = rows.get_indexer(keys)
    c = pd.Index(codes).get_indexer(mine["code"])
    ok = (r >= 0) & (c >= 0)
    out = np.zeros((len(units), len(codes)), dtype=bool)
    out[r[ok], c[ok]] = True
    return out


def shared_units(units: pd.DataFrame, codings: pd.DataFrame, coders: list[str]) -> pd.DataFrame:
    both = set.intersection(*(coded_sources(codings, c) for c in coders))
    return units[units["source_id"].isin(both)].sort_values(["source_id", "unit"], kind="stable")


# --------------------------------------------------------------------------- tables


def _from_sums(n: np.ndarray, ones_1: np.ndarray, ones_2: np.ndarray, both: np.ndarray) -> dict[str, np.ndarray]:
    """Two-coder binary agreement from summed counts (any shape, elementwise): units n,
    units coder 1 / coder 2 marked present, units both marked present. The same
    formulas as :func:`binary_agreement`, plus positive and negative specific agreement
    (Cicchetti and Feinstein 1990): PA = 2 n11 / (2 n11 + n10 + n01), NA = 2 n00 /
    (2 n00 + n10 + n01)."""
    n, a1, b1, n11 = (np.asarray(x, float) for x in (n, ones_1, ones_2, both))
    n00 = n - a1 - b1 + n11
    disagree = n - n11 - n00
    ones = a1 + b1
    zeros = 2 * n - ones
    with np.errstate(invalid="ignore", divide="ignore"):
        po = (n11 + n00) / n
        pa, pb = a1 / n, b1 / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
        alpha = np.where((ones > 0) & (zeros > 0), 1 - (2 * n - 1) * (2 * disagree) / (2 * ones * zeros), np.nan)
        positive = np.where(ones > 0, 2 * n11 / ones, np.nan)
        negative = np.where(zeros > 0, 2 * n00 / zeros, np.nan)
    return {
        "percent_agreement": 100 * po,
        "cohen_kappa": kappa,
        "krippendorff_alpha": alpha,
        "positive_agreement": positive,
        "negative_agreement": negative,
    }


def cluster_bootstrap(
    a: np.ndarray, b: np.ndarray, clusters: np.ndarray, *, replicates: int = 1000, seed: int = 1, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Percentile bootstrap intervals of Cohen's kappa and Krippendorff's alpha per
    column of two coders' boolean units-by-codes matrices, resampling whole clusters
    (the sources: units of one source are not independent) with replacement
    (Davison and Hinkley 1997, section 3.8; Efron and Tibshirani 1993, ch. 13).

    Vectorised: the counts are summed per cluster once, and each replicate is a vector
    of cluster multiplicities, so a replicate costs one matrix product. A replicate in
    which a coefficient is undefined (no variation) is left out of that coefficient's
    percentiles. With fewer than two clusters the intervals are NaN (nothing to resample).
    Returns ``kappa_ci_low``, ``kappa_ci_high``, ``alpha_ci_low``, ``alpha_ci_high``.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    ids, index = np.unique(np.asarray(clusters), return_inverse=True)
    k, width = len(ids), a.shape[1]
    nan = np.full(width, np.nan)
    if k < 2 or replicates < 1:
        return {
            "kappa_ci_low": nan,
            "kappa_ci_high": nan.copy(),
            "alpha_ci_low": nan.copy(),
            "alpha_ci_high": nan.copy(),
        }

    def per_cluster(x: np.ndarray) -> np.ndarray:
        out = np.zeros((k, x.shape[1]))
        np.add.at(out, index, x)
        return out

    units = per_cluster(np.ones((len(index), 1)))
    sums = [per_cluster(x.astype(float)) for x in (a, b, a & b)]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, k, size=(replicates, k))
    weights = (
        np.bincount((draws + k * np.arange(replicates)[:, None]).ravel(), minlength=replicates * k)
        .reshape(replicates, k)
        .astype(float)
    )
    boot = _from_sums(np.broadcast_to(weights @ units, (replicates, width)), *(weights @ x for x in sums))
    tail = (1 - level) / 2
    out = {}
    for key, name in (("cohen_kappa", "kappa"), ("krippendorff_alpha", "alpha")):
        values = boot[key]
        defined = np.isfinite(values).any(axis=0)
        with np.errstate(invalid="ignore"):
            low = np.nanquantile(np.where(defined, values, 0.0), tail, axis=0)
            high = np.nanquantile(np.where(defined, values, 0.0), 1 - tail, axis=0)
        out[f"{name}_ci_low"] = np.where(defined, low, np.nan)
        out[f"{name}_ci_high"] = np.where(defined, high, np.nan)
    return out


def irr_table(
    units: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: pd.DataFrame,
    coders: list[str],
    threshold: float = 0.6,
    *,
    replicates: int = 1000,
    seed: int = 20251026,
    level: float = 0.95,
) -> pd.DataFrame:
    """``irr.csv``: agreement per code between the first two coders, and an ``ALL`` row
    over every unit-and-code decision: percent agreement, Cohen's kappa and
    Krippendorff's alpha (nominal) with percentile bootstrap intervals that resample
    sources (:func:`cluster_bootstrap`, ``replicates`` and ``seed`` from params.yaml),
    and positive and negative specific agreement (Cicchetti and Feinstein 1990).

    ``flagged`` marks codes for the coding team to revisit: the kappa is undefined,
    or it is below ``threshold``, or the lower limit of its interval is (agreement
    above the threshold is then not established)."""
    codes = list(codebook["code"])
    if len(coders) < 2:
        # one coder: nothing to compare; every code's row is blank and none is flagged
        blank = pd.DataFrame(
            {"code": [*codes, "ALL"], "theme": [*codebook["theme"], ""], "units": 0, "sources": 0, "flagged": False}
        )
        return blank.reindex(columns=IRR_COLUMNS)
    pair = coders[:2]
    shared = shared_units(units, codings, pair)
    a, b = (matrix(codings, c, shared, codes) for c in pair)
    # one extra entry pools every unit-and-code decision (the ALL row)
    n = np.full(len(codes) + 1, float(len(shared)))
    n[-1] = len(shared) * len(codes)
    ones_1, ones_2, both = a.sum(axis=0), b.sum(axis=0), (a & b).sum(axis=0)
    point = _from_sums(n, np.append(ones_1, ones_1.sum()), np.append(ones_2, ones_2.sum()), np.append(both, both.sum()))
    sources = shared["source_id"].to_numpy()
    ci = cluster_bootstrap(a, b, sources, replicates=replicates, seed=seed, level=level)
    # the pooled row: resample the same sources, pooling the codes of each replicate
    ci_all = cluster_bootstrap(
        a.reshape(-1, 1),
        b.reshape(-1, 1),
        np.repeat(sources, len(codes)),
        replicates=replicates,
        seed=seed,
        level=level,
    )
    table = pd.DataFrame(
        {
            "code": [*codes, "ALL"],
            "theme": [*codebook["theme"], ""],
            "units": len(shared),
            "sources": shared["source_id"].nunique(),
            **{
                k: point[k]
                for k in (
                    "percent_agreement",
                    "cohen_kappa",
                    "krippendorff_alpha",
                    "positive_agreement",
                    "negative_agreement",
                )
            },
            **{k: np.append(v, ci_all[k]) for k, v in ci.items()},
            "coder_1_count": np.append(ones_1, ones_1.sum()),
            "coder_2_count": np.append(ones_2, ones_2.sum()),
        }
    )
    table["flagged"] = ~(table["cohen_kappa"] >= threshold) | (table["kappa_ci_low"] < threshold)
    return table[IRR_COLUMNS]


def pairwise_kappas(
    units: pd.DataFrame, codings: pd.DataFrame, codebook: pd.DataFrame, coders: list[str]
) -> pd.DataFrame:
    """Cohen's kappa per code for every pair of coders."""
    codes = list(codebook["code"])
    frames = []
    for c1, c2 in itertools.combinations(coders, 2):
        shared = shared_units(units, codings, [c1, c2])
        res = binary_agreement(matrix(codings, c1, shared, codes), matrix(codings, c2, shared, codes))
        frames.append(
            pd.DataFrame(
                {
                    "coder_1": c1,
                    "coder_2": c2,
                    "code": codes,
                    "units": len(shared),
                    "percent_agreement": res["percent_agreement"],
                    "cohen_kappa": res["cohen_kappa"],
                }
            )
        )
    columns = ["coder_1", "coder_2", "code", "units", "percent_agreement", "cohen_kappa"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def multi_coder(units: pd.DataFrame, codings: pd.DataFrame, codebook: pd.DataFrame, coders: list[str]) -> pd.DataFrame:
    """With more than two coders: Fleiss' kappa per code over the units every coder
    coded, and Krippendorff's alpha per code over all coders (a coder who did not
    code a source counts as missing there)."""
    codes = list(codebook["code"])
    every = shared_units(units, codings, coders)
    stacked = np.stack([matrix(codings, c, every, codes) for c in coders])  # coders x units x codes
    any_coded = units[units["source_id"].isin(set().union(*(coded_sources(codings, c) for c in coders)))]
    any_coded = any_coded.sort_values(["source_id", "unit"], kind="stable")
    rows = []
    for j, code in enumerate(codes):
        yes = stacked[:, :, j].sum(axis=0)
        fleiss = fleiss_kappa(np.column_stack([len(coders) - yes, yes])) if len(every) else math.nan
        data = np.full((len(coders), len(any_coded)), np.nan)
        for i, coder in enumerate(coders):
            mine = any_coded["source_id"].isin(coded_sources(codings, coder)).to_numpy()
            data[i, mine] = matrix(codings, coder, any_coded, [code])[mine, 0]
        rows.append(
            {
                "code": code,
                "coders": len(coders),
                "units_all_coders": len(every),
                "fleiss_kappa": fleiss,
                "krippendorff_alpha_all": krippendorff_alpha(data, "nominal"),
            }
        )
    return pd.DataFrame(rows)


def empty_multi() -> pd.DataFrame:
    """The multi-coder table's columns, for a study with two coders."""
    return pd.DataFrame(columns=["code", "coders", "units_all_coders", "fleiss_kappa", "krippendorff_alpha_all"])
