"""Figures: one function per figure, each returning a matplotlib Figure.

Every figure is sized for a journal column (89 mm single, 183 mm double), uses the
Okabe-Ito colour-blind-safe palette, and is saved by :func:`save` as PNG (300 dpi)
and SVG with no timestamps or random ids, so a rerun gives the same bytes.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from compendium.core import paths
from compendium.quantitative.outcomes import OUTCOME_LABELS

SINGLE = 3.5  # inches, one journal column
DOUBLE = 7.2  # inches, full page width
ARM_COLOURS = {"control": "#E69F00", "intervention": "#0072B2"}  # Okabe-Ito orange, blue
EXTRA = ["#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
LIKERT_COLOURS = ["#b35806", "#f1a340", "#d9d9d9", "#998ec3", "#542788"]  # PuOr, safe for CVD
SHORT_LABELS = {
    "increased_cultural_competence": "Cultural competence",
    "active_participation": "Active participation",
    "leadership_role": "Leadership role",
    "perceived_support": "Institutional support",
}


def configure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 7,
            "axes.titlesize": 8,
            "axes.labelsize": 7,
            "legend.fontsize": 6.5,
            "xtick.labelsize": 6.5,
            "ytick.labelsize": 6.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "compendium",
            "svg.fonttype": "none",  # text stays text: readable by the leak audit, no glyph outlines
            "path.simplify": False,
        }
    )


def save(fig, stem: str, folder: Path | None = None) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.svg`` deterministically and close the figure."""
    import matplotlib.pyplot as plt

    from compendium.core.io import write_bytes

    folder = folder or paths.figures_dir()
    written = []
    for ext, kwargs in (
        ("png", {"dpi": 300, "metadata": {"Software": None}}),
        ("svg", {"metadata": {"Date": None, "Creator": None}}),
    ):
        from io import BytesIO

        buf = BytesIO()
        fig.savefig(buf, format=ext, bbox_inches="tight", pad_inches=0.02, **kwargs)
        path = folder / f"{stem}.{ext}"
        write_bytes(path, buf.getvalue())
        written.append(path)
    plt.close(fig)
    return written


def wilson(events: int, n: int, level: float = 0.95) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return math.nan, math.nan
    low, high = proportion_confint(events, n, alpha=1 - level, method="wilson")
    return float(low), float(high)


def outcome_proportions(t2: pd.DataFrame, arm_labels: tuple[str, str], level: float = 0.95):
    """Percentage of learners with each outcome, by arm, with Wilson intervals."""
    import matplotlib.pyplot as plt

    configure()
    fig, ax = plt.subplots(figsize=(SINGLE, 2.6))
    y = np.arange(len(t2))[::-1]
    for offset, (role, label) in zip((0.17, -0.17), zip(("control", "intervention"), arm_labels)):
        pct, lo, hi = [], [], []
        for r in t2.itertuples(index=False):
            e, n = getattr(r, f"{role}_events"), getattr(r, f"{role}_n")
            low, high = wilson(e, n, level)
            share = 100 * e / n if n else math.nan
            pct.append(share)
            # the Wilson bounds can sit a rounding error inside 0% or 100%
            lo.append(max(share - 100 * low, 0.0) if n else math.nan)
            hi.append(max(100 * high - share, 0.0) if n else math.nan)
        ax.errorbar(
            pct, y + offset, xerr=[lo, hi], fmt="o", ms=4, capsize=2, lw=1, color=ARM_COLOURS[role], label=label
        )
    ax.set_yticks(y, [SHORT_LABELS.get(o, o) for o in t2["outcome"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"Learners with the outcome, % ({int(level * 100)}% Wilson CI)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    ax.set_axisbelow(True)
    return fig


def effects_forest(adjusted: pd.DataFrame):
    """Odds ratios (intervention vs control) per outcome: unadjusted, adjusted for the
    covariates, and Mantel-Haenszel across previous-activism strata."""
    import matplotlib.pyplot as plt

    from compendium.core.io import fixed

    configure()
    fig, ax = plt.subplots(figsize=(SINGLE, 2.8))
    kinds = [
        ("Unadjusted", "odds_ratio", "or_ci_low", "or_ci_high", "#000000", "o"),
        ("Adjusted", "adjusted_or", "adjusted_ci_low", "adjusted_ci_high", "#0072B2", "s"),
        ("Mantel-Haenszel", "mh_or", "mh_ci_low", "mh_ci_high", "#D55E00", "D"),
    ]
    base = np.arange(len(adjusted))[::-1] * 1.0
    for k, (label, est, lo, hi, colour, marker) in enumerate(kinds):
        yy = base + 0.25 - 0.25 * k
        # the numbers as the table writes them (working precision): the SVG's coordinates do not carry CPU noise
        e, low, high = (np.array([fixed(v) for v in adjusted[c].to_numpy(float)]) for c in (est, lo, hi))
        ok = np.isfinite(e) & np.isfinite(low) & np.isfinite(high)
        xerr = np.clip([e[ok] - low[ok], high[ok] - e[ok]], 0.0, None)
        ax.errorbar(e[ok], yy[ok], xerr=xerr, fmt=marker, ms=3.5, capsize=2, lw=1, color=colour, label=label)
    ax.axvline(1, color="#777777", lw=0.8, ls="--")
    ax.set_xscale("log")
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(base, [SHORT_LABELS.get(o, o) for o in adjusted["outcome"]])
    ax.set_xlabel("Odds ratio, intervention vs control (log scale, 95% CI)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    return fig


def likert_bars(dist: pd.DataFrame, scale: str, arm_labels: tuple[str, str], title: str):
    """Diverging stacked bars of the answers to each item, before and after, by arm."""
    import matplotlib.pyplot as plt

    configure()
    part = dist[dist["scale"] == scale]
    items = list(dict.fromkeys(part["item"]))
    fig, axes = plt.subplots(1, 2, figsize=(DOUBLE, 0.45 + 0.32 * len(items) * 2), sharey=True)
    for ax, wave in zip(axes, ("pre", "post")):
        labels, y = [], 0.0
        for item in items:
            for arm in arm_labels:
                row = part[(part["item"] == item) & (part["wave"] == wave) & (part["arm"] == arm)].iloc[0]
                shares = [100 * row[f"p{v}"] for v in range(1, 6)]
                left = -(shares[0] + shares[1] + shares[2] / 2)
                for v, share in enumerate(shares):
                    ax.barh(
                        -y,
                        share,
                        left=left,
                        color=LIKERT_COLOURS[v],
                        height=0.8,
                        label=str(v + 1) if (y == 0) else None,
                        edgecolor="white",
                        lw=0.3,
                    )
                    left += share
                labels.append(f"{item} · {arm}")
                y += 1
            y += 0.4
        ax.axvline(0, color="#444444", lw=0.6)
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
        ax.set_title(f"{title}: {wave}")
        ax.set_xlabel("% of answers (disagree ← → agree)")
    positions, y = [], 0.0
    for _ in items:
        for _ in arm_labels:
            positions.append(-y)
            y += 1
        y += 0.4
    axes[0].set_yticks(positions, labels)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, [f"Answer {n}" for n in names], ncols=5, loc="lower center", bbox_to_anchor=(0.5, 0.98), frameon=False
    )
    return fig


def site_forest(effects: pd.DataFrame, pooled: pd.Series, outcome: str):
    """Risk difference per site with the random-effects pooled estimate."""
    import matplotlib.pyplot as plt

    configure()
    part = effects[effects["outcome"] == outcome]
    fig, ax = plt.subplots(figsize=(SINGLE, 0.9 + 0.28 * len(part)))
    z = 1.959963984540054
    y = np.arange(len(part))[::-1] + 1.5
    rd = part["rd"].to_numpy() * 100
    se = np.sqrt(part["rd_var"].to_numpy()) * 100
    ax.errorbar(rd, y, xerr=z * se, fmt="s", ms=3.5, capsize=2, lw=1, color="#0072B2")
    est, lo, hi = 100 * pooled["estimate"], 100 * pooled["ci_low"], 100 * pooled["ci_high"]
    ax.fill([lo, est, hi, est], [0.5, 0.75, 0.5, 0.25], color="#D55E00")
    ax.axvline(0, color="#777777", lw=0.8, ls="--")
    ax.set_yticks([*y, 0.5], [*part["site"], f"Pooled (I² = {pooled['i2']:.0f}%)"])
    ax.set_xlabel("Risk difference, percentage points (95% CI)")
    ax.set_title(OUTCOME_LABELS.get(outcome, outcome))
    return fig


def agreement_by_code(irr: pd.DataFrame, threshold: float):
    """Cohen's kappa and Krippendorff's alpha per code, with the flagging threshold."""
    import matplotlib.pyplot as plt

    configure()
    part = irr[irr["code"] != "ALL"].reset_index(drop=True)
    if not part[["cohen_kappa", "krippendorff_alpha"]].notna().any().any():
        fig, ax = plt.subplots(figsize=(SINGLE, 1.0))
        ax.text(
            0.5,
            0.5,
            "No agreement to show: fewer than two coders\ncoded the same sources.",
            ha="center",
            va="center",
            fontsize=7.5,
        )
        ax.axis("off")
        return fig
    fig, ax = plt.subplots(figsize=(SINGLE, 0.6 + 0.22 * len(part)))
    y = np.arange(len(part))[::-1]
    ax.scatter(part["cohen_kappa"], y + 0.12, marker="o", s=14, color="#0072B2", label="Cohen's kappa", zorder=3)
    ax.scatter(
        part["krippendorff_alpha"], y - 0.12, marker="D", s=12, color="#D55E00", label="Krippendorff's alpha", zorder=3
    )
    ax.axvline(threshold, color="#777777", lw=0.8, ls="--")
    ax.set_yticks(y, [c.replace("_", " ") for c in part["code"]])
    ax.set_xlim(min(0.0, float(np.nanmin(part[["cohen_kappa", "krippendorff_alpha"]].to_numpy(float), initial=0))), 1)
    ax.set_xlabel(f"Agreement between coders (dashed: threshold {threshold})")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    ax.set_axisbelow(True)
    return fig


def themes_by_group(freq: pd.DataFrame, arm_labels: tuple[str, str] | None = None):
    """Units per theme by arm and by source type (two panels of grouped bars). The arms
    keep the colours they have in every figure; source types take colours no arm uses."""
    import matplotlib.pyplot as plt

    configure()
    themes = freq[(freq["level"] == "theme") & (freq["by"] == "all")]
    roles = dict(zip(arm_labels or (), ("control", "intervention")))
    fig, axes = plt.subplots(1, 2, figsize=(DOUBLE, 2.6), sharey=True)
    for ax, by, title in zip(axes, ("arm", "source_type"), ("By arm of the speaker or author", "By source type")):
        part = freq[(freq["level"] == "theme") & (freq["by"] == by)]
        groups = sorted(part["group"].unique(), key=lambda g: (g not in roles, roles.get(g, ""), g))
        width = 0.8 / max(len(groups), 1)
        x = np.arange(len(themes))
        if by == "arm":
            others = iter(["#999999", "#cccccc", *EXTRA])
            palette = [ARM_COLOURS[roles[g]] if g in roles else next(others) for g in groups]
        else:
            palette = [EXTRA[k % len(EXTRA)] for k in range(len(groups))]
        for k, (group, colour) in enumerate(zip(groups, palette)):
            values = [int(part[(part["id"] == t) & (part["group"] == group)]["units"].sum()) for t in themes["id"]]
            ax.bar(x + (k - (len(groups) - 1) / 2) * width, values, width, color=colour, label=group.replace("_", " "))
        ax.set_xticks(x, [textwrap.fill(lbl, 14) for lbl in themes["label"]])
        ax.set_title(title, pad=18)
        ax.legend(
            frameon=False,
            ncols=len(groups),
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            handlelength=1,
            columnspacing=0.8,
        )
    axes[0].set_ylabel("Coded units")
    return fig


def code_cooccurrence(co: pd.DataFrame, codebook: pd.DataFrame):
    """Heat map of the number of units coded with both codes."""
    import matplotlib.pyplot as plt

    configure()
    codes = list(codebook["code"])
    grid = np.zeros((len(codes), len(codes)))
    pos = {c: i for i, c in enumerate(codes)}
    for r in co.itertuples(index=False):
        grid[pos[r.code_1], pos[r.code_2]] = grid[pos[r.code_2], pos[r.code_1]] = r.units
    np.fill_diagonal(grid, np.nan)
    fig, ax = plt.subplots(figsize=(DOUBLE * 0.62, DOUBLE * 0.55))
    image = ax.imshow(grid, cmap="cividis")
    labels = [c.replace("_", " ") for c in codes]
    ax.set_xticks(range(len(codes)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(codes)), labels)
    for i in range(len(codes)):
        for j in range(len(codes)):
            if i != j and grid[i, j] > 0:
                ax.text(
                    j,
                    i,
                    f"{int(grid[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    color="white" if grid[i, j] < np.nanmax(grid) * 0.5 else "black",
                )
    ax.spines[:].set_visible(False)
    fig.colorbar(image, ax=ax, shrink=0.7, label="Units coded with both")
    return fig


def joint_display(joint: pd.DataFrame, arm_labels: tuple[str, str]):
    """Each theme beside its outcome: share of interviewed learners who raised the
    theme, and share of all learners with the outcome, by arm."""
    import matplotlib.pyplot as plt

    configure()
    if not len(joint):
        fig, ax = plt.subplots(figsize=(DOUBLE, 1.2))
        ax.text(
            0.5,
            0.5,
            "No code is linked to a survey outcome for this study (dataset.yaml: integration.links).",
            ha="center",
            va="center",
            fontsize=8,
        )
        ax.axis("off")
        return fig
    fig, axes = plt.subplots(1, 2, figsize=(DOUBLE, 0.7 + 0.45 * len(joint)), sharey=True)
    y = np.arange(len(joint))[::-1]
    for ax, prefix, title in zip(
        axes, ("talk", "outcome"), ("Raised the code (qualitative sources)", "Reported the outcome (survey)")
    ):
        for offset, (role, label) in zip((0.15, -0.15), zip(("control", "intervention"), arm_labels)):
            ax.scatter(
                joint[f"{prefix}_{role}_percent"], y + offset, s=18, color=ARM_COLOURS[role], label=label, zorder=3
            )
        ax.set_xlim(0, 100)
        ax.set_title(title)
        ax.set_xlabel("% of learners")
        ax.grid(axis="x", color="#e0e0e0", lw=0.5)
        ax.set_axisbelow(True)
    labels = [
        f"{c.replace('_', ' ')}\n↔ {SHORT_LABELS.get(o, o)} ({j})"
        for c, o, j in zip(joint["code"], joint["outcome"], joint["judgement"])
    ]
    axes[0].set_yticks(y, labels)
    axes[1].legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncols=2, frameon=False)
    return fig


THEME_COLOURS = ["#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


def framework(edges: pd.DataFrame, codebook: pd.DataFrame, alpha: float = 0.05):
    """Conceptual framework: every code on a circle, grouped and coloured by theme;
    a line joins two codes that share units more often than chance
    (:func:`compendium.mixed.integration.framework_edges`, ``linked``). Line width grows with
    the lift (observed over expected shared units). Lines are undirected."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    configure()
    codes = list(codebook["code"])
    labels = dict(zip(codebook["code"], codebook["code_label"]))
    theme_ids = list(dict.fromkeys(codebook["theme"]))
    theme_labels = dict(zip(codebook["theme"], codebook["theme_label"]))
    colour = {t: THEME_COLOURS[k % len(THEME_COLOURS)] for k, t in enumerate(theme_ids)}
    theme_of = dict(zip(codebook["code"], codebook["theme"]))
    n = len(codes)
    angle = {c: math.pi / 2 - 2 * math.pi * k / max(n, 1) for k, c in enumerate(codes)}
    pos = {c: (math.cos(a), math.sin(a)) for c, a in angle.items()}
    side = 5.2 if n <= 16 else 6.4
    fig, ax = plt.subplots(figsize=(DOUBLE, side))
    linked = edges[edges["linked"].astype(bool)] if len(edges) else edges
    top = float(linked["lift"].max()) if len(linked) else 1.0
    for r in linked.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[r.code_1], pos[r.code_2]
        same = theme_of.get(r.code_1) == theme_of.get(r.code_2)
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=colour[theme_of[r.code_1]] if same else "#777777",
            lw=0.6 + 2.4 * float(r.lift) / top,
            alpha=0.75,
            solid_capstyle="round",
            zorder=1,
        )
    for code, (x, y) in pos.items():
        ax.scatter([x], [y], s=36, color=colour[theme_of[code]], zorder=3, edgecolors="white", linewidths=0.6)
        a = angle[code]
        lx, ly = 1.1 * math.cos(a), 1.1 * math.sin(a)
        ha = "left" if math.cos(a) > 0.2 else "right" if math.cos(a) < -0.2 else "center"
        va = "bottom" if math.sin(a) > 0.2 else "top" if math.sin(a) < -0.2 else "center"
        ax.text(lx, ly, textwrap.fill(str(labels[code]), 24), ha=ha, va=va, fontsize=7, zorder=4)
    if not len(linked):
        ax.text(
            0,
            0,
            textwrap.fill("No pair of codes shares units more often than chance at this level.", 30),
            ha="center",
            va="center",
            fontsize=7.5,
            color="#444444",
        )
    handles = [
        Line2D([], [], marker="o", ls="", color=colour[t], label=textwrap.fill(str(theme_labels[t]), 30))
        for t in theme_ids
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=min(len(handles), 3),
        frameon=False,
        fontsize=7,
    )
    ax.set_xlim(-2.3, 2.3)
    ax.set_ylim(-1.55, 1.55)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def participant_flow(flow: pd.DataFrame):
    """CONSORT-style flow: enrolled and allocated, withdrew, lost to the post wave,
    analysed per outcome, for each arm; every number from the data."""
    import matplotlib.pyplot as plt

    configure()
    fig, ax = plt.subplots(figsize=(DOUBLE, 4.2))
    ax.axis("off")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)

    def box(x, y, text, w=3.6, h=1.2):
        ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, fc="white", ec="black", lw=0.7))
        ax.text(x, y, text, ha="center", va="center", fontsize=6.5)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "lw": 0.7})

    enrolled = int(flow["allocated"].sum())
    box(5, 9.3, f"Enrolled and allocated\nn = {enrolled}", w=3.2, h=0.9)
    stage_y = {"alloc": 7.5, "lost": 5.2, "analysed": 2.2}
    for x, r in zip((2.5, 7.5), flow.itertuples(index=False)):
        arrow(5, 8.85, x, stage_y["alloc"] + 0.6)
        box(x, stage_y["alloc"], f"Allocated to {r.arm}\nn = {r.allocated}")
        arrow(x, stage_y["alloc"] - 0.6, x, stage_y["lost"] + 0.7)
        box(
            x,
            stage_y["lost"],
            f"Withdrew consent: n = {r.withdrew}\nNo post-intervention survey: n = {r.no_post_wave}\n"
            f"Followed up: n = {r.followed_up}",
            h=1.4,
        )
        arrow(x, stage_y["lost"] - 0.7, x, stage_y["analysed"] + 1.3)
        analysed = "\n".join(
            f"{SHORT_LABELS.get(k[9:], k[9:])}: n = {getattr(r, k)}" for k in flow.columns if k.startswith("analysed_")
        )
        box(x, stage_y["analysed"], "Analysed\n" + analysed, w=3.6, h=2.6)
    for label, y in (
        ("Allocation", stage_y["alloc"]),
        ("Follow-up", stage_y["lost"]),
        ("Analysis", stage_y["analysed"]),
    ):
        ax.text(0.02, y, label, rotation=90, va="center", fontsize=7, fontweight="bold", color="#0072B2")
    return fig
