"""Reliability of the survey scales and descriptive statistics of their items."""

from __future__ import annotations

import math

import pandas as pd

RELIABILITY_COLUMNS = ["scale", "wave", "items", "n", "alpha", "ci_low", "ci_high"]
ITEM_COLUMNS = ["scale", "wave", "item", "n", "mean", "sd", "missing"]


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) F-based confidence interval for Cronbach's alpha."""
    from scipy.stats import f

    if n < 2 or k < 2 or not math.isfinite(alpha):
        return math.nan, math.nan
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return 1 - (1 - alpha) * f.ppf(1 - tail, df1, df2), 1 - (1 - alpha) * f.ppf(tail, df1, df2)


def cronbach(items: pd.DataFrame, level: float = 0.95) -> dict:
    """Cronbach's alpha over the complete cases (pingouin) with Feldt's interval."""
    import pingouin as pg

    data = items.astype("Float64").astype(float).dropna()
    n, k = len(data), items.shape[1]
    if n < 2 or k < 2 or (data.var(ddof=1) == 0).all():
        return {"items": k, "n": n, "alpha": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    alpha = float(pg.cronbach_alpha(data=data, nan_policy="listwise", ci=level)[0])
    low, high = feldt_interval(alpha, n, k, level)
    return {"items": k, "n": n, "alpha": alpha, "ci_low": float(low), "ci_high": float(high)}


def scales(study) -> dict[str, list[str]]:
    return {"cultural_competence": list(study.cc_items), "support": list(study.support_items)}


def reliability(survey: pd.DataFrame, scale_items: dict[str, list[str]], level: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha per scale and wave."""
    rows = []
    for scale, items in scale_items.items():
        for wave in ("pre", "post"):
            part = survey.loc[survey["wave"] == wave, items]
            rows.append({"scale": scale, "wave": wave, **cronbach(part, level)})
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def item_statistics(survey: pd.DataFrame, scale_items: dict[str, list[str]]) -> pd.DataFrame:
    """n, mean, SD and missing count of every item at every wave."""
    rows = []
    for scale, items in scale_items.items():
        for wave in ("pre", "post"):
            part = survey[survey["wave"] == wave]
            for item in items:
                values = part[item].astype("Float64").astype(float)
                rows.append(
                    {
                        "scale": scale,
                        "wave": wave,
                        "item": item,
                        "n": int(values.notna().sum()),
                        "mean": values.mean(),
                        "sd": values.std(ddof=1),
                        "missing": int(values.isna().sum()),
                    }
                )
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def likert_distribution(
    survey: pd.DataFrame, participants: pd.DataFrame, scale_items: dict[str, list[str]], arms
) -> pd.DataFrame:
    """Share of answers 1 to 5 per scale, item, wave and arm (for the diverging bars)."""
    arm_of = participants.set_index("participant_id")["group"]
    data = survey.assign(group=survey["participant_id"].map(arm_of))
    rows = []
    for scale, items in scale_items.items():
        for item in items:
            for wave in ("pre", "post"):
                for arm in arms.labels:
                    values = data.loc[(data["wave"] == wave) & (data["group"] == arm), item].dropna().astype(int)
                    counts = values.value_counts().reindex(range(1, 6), fill_value=0)
                    total = int(counts.sum())
                    rows.append(
                        {
                            "scale": scale,
                            "item": item,
                            "wave": wave,
                            "arm": arm,
                            "n": total,
                            **{f"p{v}": (counts[v] / total if total else math.nan) for v in range(1, 6)},
                        }
                    )
    return pd.DataFrame(rows)
