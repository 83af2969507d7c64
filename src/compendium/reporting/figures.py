"""Figures: one function per figure, each returning a matplotlib Figure.

Every figure is drawn at the width it is printed at, one journal column
(:data:`SINGLE`, 84 mm) or the manuscript's full text width (:data:`DOUBLE`, 170 mm: an
A4 page with 2 cm margins, within a journal's 174 mm double column), with no text
under 7 pt, in the Okabe-Ito colour-blind-safe palette. :func:`save` writes it as PNG
(300 dpi) for the web pages and SVG (text kept as text) for print, with no timestamps
or random ids, so a rerun gives the same bytes; before writing, it checks the SVG as
saved (:mod:`compendium.reporting.figure_check`: text size at print width, overlapping
and clipped text) and raises, so a figure that breaks a rule fails its stage.
:func:`caption` says, for each figure, what is shown and how it was computed.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compendium.core import paths
from compendium.core.config import default, level_label
from compendium.quantitative.outcomes import OUTCOME_LABELS
from compendium.reporting import figure_check

MM = 1 / 25.4
SINGLE_MM = figure_check.PRINT_WIDTHS["single"]
DOUBLE_MM = figure_check.PRINT_WIDTHS["double"]
SINGLE = SINGLE_MM * MM  # inches, one journal column
DOUBLE = DOUBLE_MM * MM  # inches, the manuscript's text width
FONT = 7.0  # pt, the smallest text at print size
ARM_COLOURS = {"control": "#E69F00", "intervention": "#0072B2"}  # Okabe-Ito orange, blue
EXTRA = ["#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OTHER_GREYS = ["#999999", "#555555", "#cccccc"]
LIKERT_COLOURS = ["#b35806", "#f1a340", "#d9d9d9", "#998ec3", "#542788"]  # PuOr, safe for CVD
SHORT_LABELS = {
    "increased_cultural_competence": "Cultural competence",
    "active_participation": "Active participation",
    "leadership_role": "Leadership role",
    "perceived_support": "Institutional support",
}
WAVE_LABELS = {"pre": "before", "post": "after"}


def configure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": FONT,
            "axes.titlesize": 8,
            "axes.labelsize": FONT,
            "legend.fontsize": FONT,
            "legend.title_fontsize": FONT,
            "xtick.labelsize": FONT,
            "ytick.labelsize": FONT,
            "figure.titlesize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "compendium",
            "svg.fonttype": "none",  # text stays text: readable by the leak audit and the print check
            "path.simplify": False,
            "text.parse_math": False,  # a label with a dollar sign is text, not mathtext
        }
    )


def _figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure of ``width`` x ``height`` inches laid out by matplotlib's constrained
    layout, so that every label, legend and title stays on the canvas, and marked with
    its print width for :func:`save`."""
    import matplotlib.pyplot as plt

    configure()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)
    fig.get_layout_engine().set(w_pad=3 / 72, h_pad=3 / 72, wspace=0.04, hspace=0.04)
    fig.compendium_print_mm = DOUBLE_MM if width > SINGLE + 1e-6 else SINGLE_MM
    return fig, axes


def _text_width(text: str, size: float = FONT) -> float:
    """Width in points of the widest line of ``text`` at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family="DejaVu Sans", size=size)
    return max(
        (text_to_path.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")),
        default=0.0,
    )


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(str(text), width, break_long_words=False, break_on_hyphens=False)


def _fit(text: str, points: float, size: float = FONT) -> str:
    """``text`` wrapped at spaces so that no line is wider than ``points`` at ``size``
    (a word wider than that keeps a line of its own); existing line breaks are kept."""
    lines = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if line and _text_width(trial, size) > points:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def _arm(label: str) -> str:
    """An arm label as a reader sees it: underscores as spaces, as in the tables."""
    return str(label).replace("_", " ")


def _label(code: str, labels: Mapping | None = None) -> str:
    return str((labels or {}).get(code) or str(code).replace("_", " "))


def save(fig, stem: str, folder: Path | None = None) -> list[Path]:
    """Check and write ``<stem>.png`` and ``<stem>.svg`` deterministically; close the figure.

    The SVG is rendered first and checked as saved (:func:`figure_check.check` at the
    figure's print width); a figure that fails raises
    :class:`figure_check.FigureCheckError` and nothing is written.
    """
    import matplotlib.pyplot as plt

    from compendium.core.display import show_svg
    from compendium.core.io import write_bytes

    folder = folder or paths.figures_dir()
    print_mm = getattr(fig, "compendium_print_mm", None) or fig.get_figwidth() / MM
    svg, png = render(fig, print_mm)
    plt.close(fig)
    figure_check.check(svg, name=f"figure {stem}.svg", print_width_mm=print_mm)
    written = []
    for ext, data in (("png", png), ("svg", svg)):
        path = folder / f"{stem}.{ext}"
        write_bytes(path, data)
        written.append(path)
    show_svg(svg)  # inline in the stage's notebook
    return written


def render(fig, print_mm: float | None = None) -> tuple[bytes, bytes]:
    """The figure as SVG and PNG bytes, without timestamps; the SVG's description
    records the print width the check reads."""
    from io import BytesIO

    print_mm = print_mm or getattr(fig, "compendium_print_mm", None) or fig.get_figwidth() / MM
    out = []
    for ext, kwargs in (
        ("svg", {"metadata": {"Date": None, "Creator": None, "Description": f"print width {print_mm:g} mm"}}),
        ("png", {"dpi": 300, "metadata": {"Software": None}}),
    ):
        buf = BytesIO()
        fig.savefig(buf, format=ext, **kwargs)
        out.append(buf.getvalue())
    return out[0], out[1]


# The confidence level a figure states when its caller names none; the stages pass
# params.yaml's outcomes.ci_level.
CI_LEVEL: float = default("outcomes.ci_level")


def wilson(events: int, n: int, level: float = CI_LEVEL) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return math.nan, math.nan
    low, high = proportion_confint(events, n, alpha=1 - level, method="wilson")
    return float(low), float(high)


def _top_legend(fig, handles, labels, *, ncols: int, **kwargs):
    return fig.legend(
        handles,
        labels,
        loc="outside upper center",
        ncols=ncols,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.0,
        **kwargs,
    )


def outcome_proportions(t2: pd.DataFrame, arm_labels: tuple[str, str], level: float = CI_LEVEL):
    """Percentage of learners with each outcome, by arm, with Wilson intervals
    (Wilson 1927, via :func:`statsmodels.stats.proportion.proportion_confint`)."""
    fig, ax = _figure(SINGLE, 2.6)
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
            pct, y + offset, xerr=[lo, hi], fmt="o", ms=4, capsize=2, lw=1, color=ARM_COLOURS[role], label=_arm(label)
        )
    ax.set_yticks(y, [SHORT_LABELS.get(o, o) for o in t2["outcome"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"Learners with the outcome, % ({level_label(level)} Wilson CI)")
    _top_legend(fig, *ax.get_legend_handles_labels(), ncols=2)
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    ax.set_axisbelow(True)
    return fig


def effects_forest(
    adjusted: pd.DataFrame, arm_labels: tuple[str, str] = ("control", "intervention"), level: float = CI_LEVEL
):
    """Odds ratios (intervention vs control) per outcome: unadjusted, adjusted for the
    covariates, and Mantel-Haenszel across previous-activism strata."""
    from compendium.core.io import fixed

    fig, ax = _figure(SINGLE, 2.8)
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
    low, high = ax.get_xlim()
    ticks = [t for t in (0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 1000) if low <= t <= high]
    if len(ticks) > 8:  # a wide range: powers of ten only
        ticks = [t for t in ticks if f"{t:g}".lstrip("0.").startswith("1")]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(base, [SHORT_LABELS.get(o, o) for o in adjusted["outcome"]])
    names = [SHORT_LABELS.get(o, o) for o in adjusted["outcome"]]
    room = SINGLE * 72 - max((_text_width(n) for n in names), default=0.0) - 16  # the axes' width, in points
    label = f"Odds ratio, {_arm(arm_labels[1])} vs {_arm(arm_labels[0])}"
    ax.set_xlabel(f"{_fit(label, room)}\n(log scale, {level_label(level)} CI)")
    _top_legend(fig, *ax.get_legend_handles_labels(), ncols=3)
    return fig


def likert_bars(
    dist: pd.DataFrame,
    scale: str,
    arm_labels: tuple[str, str],
    title: str,
    wording: Mapping[str, str] | None = None,
):
    """Diverging stacked bars of the answers to each item, before and after, by arm
    (Heiberger & Robbins 2014, "Design of diverging stacked bar charts for Likert
    scales", J Stat Softw 57(5)). Each item is labelled with its wording from
    ``dataset.yaml`` (``items``), or its column name when the wording is not given."""
    part = dist[dist["scale"] == scale]
    items = list(dict.fromkeys(part["item"]))
    wording = {str(k): str(v) for k, v in (wording or {}).items()}
    texts = {item: _wrap(wording.get(item) or item, 34) for item in items}
    bar = 0.2  # inches per bar
    lines = sum(max(2, t.count("\n") + 1) for t in texts.values())
    height = 0.95 + bar * (len(items) * len(arm_labels) + 0.6 * len(items)) + 0.02 * lines
    fig, axes = _figure(DOUBLE, height, 1, 2, sharey=True)
    positions, tick_labels, centres = [], [], []
    y = 0.0
    for _item in items:
        first = y
        for arm in arm_labels:
            positions.append(-y)
            tick_labels.append(_arm(arm))
            y += 1
        centres.append(-(first + y - 1) / 2)
        y += 0.6
    for ax, wave in zip(axes, ("pre", "post")):
        k = 0
        for item in items:
            for arm in arm_labels:
                rows = part[(part["item"] == item) & (part["wave"] == wave) & (part["arm"] == arm)]
                shares = [100 * float(rows.iloc[0][f"p{v}"]) for v in range(1, 6)] if len(rows) else [0.0] * 5
                left = -(shares[0] + shares[1] + shares[2] / 2)
                for v, share in enumerate(shares):
                    ax.barh(
                        positions[k],
                        share,
                        left=left,
                        color=LIKERT_COLOURS[v],
                        height=0.8,
                        label=str(v + 1) if k == 0 else None,
                        edgecolor="white",
                        lw=0.3,
                    )
                    left += share
                k += 1
        ax.axvline(0, color="#444444", lw=0.6)
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
        ax.set_title(f"{WAVE_LABELS.get(wave, wave).capitalize()} ({wave} survey)", fontsize=FONT, pad=3)
        ax.set_xlabel("% of answers (1-2 left of 0, 4-5 right)")
        ax.tick_params(axis="y", length=0)
    axes[0].set_yticks(positions, tick_labels)
    offset = max(_text_width(_arm(a)) for a in arm_labels) + 8
    for item, centre in zip(items, centres):
        axes[0].annotate(
            texts[item],
            xy=(0, centre),
            xycoords=axes[0].get_yaxis_transform(),
            xytext=(-offset, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            annotation_clip=False,
        )
    handles, names = axes[0].get_legend_handles_labels()
    ends = {"1": "1 (lowest)", "5": "5 (highest)"}
    _top_legend(fig, handles, [ends.get(n, n) for n in names], ncols=5, title=f"{title}: answers on the 1-5 scale")
    return fig


def site_forest(effects: pd.DataFrame, pooled: pd.Series, outcome: str, level: float = CI_LEVEL):
    """Risk difference per site (Wald interval at ``level``) with the random-effects pooled
    estimate (its interval as :func:`compendium.quantitative.sites.meta_analysis` gave it)."""
    from scipy.stats import norm

    part = effects[effects["outcome"] == outcome]
    fig, ax = _figure(SINGLE, 1.1 + 0.28 * len(part))
    z = float(norm.ppf(0.5 + level / 2))
    y = np.arange(len(part))[::-1] + 1.5
    rd = part["rd"].to_numpy() * 100
    se = np.sqrt(part["rd_var"].to_numpy()) * 100
    ax.errorbar(rd, y, xerr=z * se, fmt="s", ms=3.5, capsize=2, lw=1, color="#0072B2")
    est, lo, hi = 100 * pooled["estimate"], 100 * pooled["ci_low"], 100 * pooled["ci_high"]
    ax.fill([lo, est, hi, est], [0.5, 0.75, 0.5, 0.25], color="#D55E00")
    ax.axvline(0, color="#777777", lw=0.8, ls="--")
    ax.set_yticks([*y, 0.5], [*(_wrap(s, 24) for s in part["site"]), f"Pooled (I² = {pooled['i2']:.0f}%)"])
    ax.set_xlabel(f"Risk difference, percentage points\n({level_label(level)} CI)")
    ax.set_title(_wrap(OUTCOME_LABELS.get(outcome, outcome), 38), fontsize=8)
    return fig


def agreement_by_code(irr: pd.DataFrame, threshold: float, codebook: pd.DataFrame | None = None):
    """Cohen's kappa and Krippendorff's alpha per code, with the flagging threshold.
    The two markers of a code sit on two lines of their own, so they never hide each other."""
    part = irr[irr["code"] != "ALL"].reset_index(drop=True)
    labels = dict(zip(codebook["code"], codebook["code_label"])) if codebook is not None else {}
    if not part[["cohen_kappa", "krippendorff_alpha"]].notna().any().any():
        fig, ax = _figure(SINGLE, 1.0)
        ax.text(
            0.5,
            0.5,
            "No agreement to show: fewer than\ntwo coders coded the same sources.",
            ha="center",
            va="center",
            fontsize=7.5,
        )
        ax.axis("off")
        return fig
    names = [_wrap(_label(c, labels), 30) for c in part["code"]]
    rows = sum(max(1, n.count("\n") + 1) for n in names)
    fig, ax = _figure(SINGLE, 0.95 + 0.2 * len(part) + 0.06 * (rows - len(part)))
    y = np.arange(len(part))[::-1] * 1.0
    ax.scatter(part["cohen_kappa"], y + 0.2, marker="o", s=14, color="#0072B2", label="Cohen's kappa", zorder=3)
    ax.scatter(
        part["krippendorff_alpha"], y - 0.2, marker="D", s=12, color="#D55E00", label="Krippendorff's alpha", zorder=3
    )
    for yy in y:
        ax.axhline(yy + 0.5, color="#eeeeee", lw=0.5, zorder=0)
    ax.axvline(threshold, color="#777777", lw=0.8, ls="--")
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(part) - 0.4)
    ax.tick_params(axis="y", length=0)
    low = float(np.nanmin(part[["cohen_kappa", "krippendorff_alpha"]].to_numpy(float), initial=0))
    ax.set_xlim(min(0.0, math.floor(low * 10) / 10), 1)
    ax.set_xlabel(f"Agreement between coders\n(dashed line: threshold {threshold:g})")
    _top_legend(fig, *ax.get_legend_handles_labels(), ncols=2)
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    ax.set_axisbelow(True)
    return fig


def group_colours(groups_by_panel: Mapping[str, list[str]], arm_labels: tuple[str, str] | None = None) -> dict:
    """One colour per group across all panels: the arms keep the colours they have in
    every figure, other groups of the arm panel take greys, and source types take
    colours that no arm and no other group uses. A colour therefore means one thing
    in the whole figure."""
    roles = dict(zip(arm_labels or (), ("control", "intervention")))
    colours: dict[str, str] = {}
    greys = iter(OTHER_GREYS)
    extra = iter(EXTRA)
    for panel, groups in groups_by_panel.items():
        for g in groups:
            if g in colours:
                continue
            if g in roles:
                colours[g] = ARM_COLOURS[roles[g]]
            elif panel == "arm":
                colours[g] = next(greys, None) or next(extra)
            else:
                colours[g] = next(extra, None) or OTHER_GREYS[-1]
    return colours


def themes_by_group(freq: pd.DataFrame, arm_labels: tuple[str, str] | None = None):
    """Coded units per theme by arm and by source type: two panels of grouped
    horizontal bars sharing the theme axis, so long theme labels read across. One
    colour stands for one group in both panels (:func:`group_colours`)."""
    themes = freq[(freq["level"] == "theme") & (freq["by"] == "all")]
    roles = dict(zip(arm_labels or (), ("control", "intervention")))
    panels = (("arm", "By arm of the speaker or author"), ("source_type", "By source type"))
    groups = {}
    for by, _ in panels:
        part = freq[(freq["level"] == "theme") & (freq["by"] == by)]
        groups[by] = sorted(part["group"].unique(), key=lambda g: (g not in roles, roles.get(g, ""), str(g)))
    colours = group_colours(groups, arm_labels)
    most = max([len(g) for g in groups.values()] + [1])
    names = [_wrap(lbl, 22) for lbl in themes["label"]]
    lines = sum(n.count("\n") + 1 for n in names)
    height = 1.25 + len(themes) * max(0.1 * most + 0.12, 0.0) + 0.05 * lines
    fig, axes = _figure(DOUBLE, height, 1, 2, sharey=True)
    y = np.arange(len(themes))[::-1] * 1.0
    for ax, (by, title) in zip(axes, panels):
        part = freq[(freq["level"] == "theme") & (freq["by"] == by)]
        gs = groups[by]
        width = 0.8 / max(len(gs), 1)
        for k, group in enumerate(gs):
            values = [int(part[(part["id"] == t) & (part["group"] == group)]["units"].sum()) for t in themes["id"]]
            ax.barh(
                y + ((len(gs) - 1) / 2 - k) * width,
                values,
                width,
                color=colours[group],
                label=str(group).replace("_", " "),
            )
        ax.set_xlabel("Coded units")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e0e0e0", lw=0.5)
        ax.set_axisbelow(True)
        ax.legend(
            title=title,
            frameon=False,
            ncols=min(len(gs), 3),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            alignment="left",
            handlelength=1,
            columnspacing=0.8,
            borderaxespad=0,
        )
    axes[0].set_yticks(y, names)
    return fig


def code_cooccurrence(co: pd.DataFrame, codebook: pd.DataFrame):
    """Heat map of the number of units coded with both codes. Codes are numbered in
    codebook order; the rows name them, the columns repeat their numbers."""
    codes = list(codebook["code"])
    labels = dict(zip(codebook["code"], codebook["code_label"]))
    grid = np.zeros((len(codes), len(codes)))
    pos = {c: i for i, c in enumerate(codes)}
    for r in co.itertuples(index=False):
        if r.code_1 in pos and r.code_2 in pos:
            grid[pos[r.code_1], pos[r.code_2]] = grid[pos[r.code_2], pos[r.code_1]] = r.units
    np.fill_diagonal(grid, np.nan)
    cell = min(0.34, 4.0 / max(len(codes), 1))
    fig, ax = _figure(DOUBLE, 1.0 + cell * len(codes))
    image = ax.imshow(grid, cmap="cividis", aspect="auto")  # a fixed aspect defeats the layout: labels fall off
    ax.set_xticks(range(len(codes)), [str(k + 1) for k in range(len(codes))])
    ax.set_yticks(range(len(codes)), [f"{_wrap(_label(c, labels), 34)}  {k + 1}" for k, c in enumerate(codes)])
    ax.tick_params(length=0)
    top = np.nanmax(grid) if np.isfinite(grid).any() else 0
    for i in range(len(codes)):
        for j in range(len(codes)):
            if i != j:
                ax.text(
                    j,
                    i,
                    f"{int(grid[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=FONT,
                    color="white" if grid[i, j] < top * 0.5 else "black",
                )
    ax.spines[:].set_visible(False)
    fig.colorbar(image, ax=ax, shrink=0.7, label="Units coded with both codes")
    return fig


def joint_display(joint: pd.DataFrame, arm_labels: tuple[str, str], codebook: pd.DataFrame | None = None):
    """Each theme beside its outcome: share of interviewed learners who raised the
    theme, and share of all learners with the outcome, by arm."""
    if not len(joint):
        fig, ax = _figure(DOUBLE, 1.0)
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
    labels = dict(zip(codebook["code"], codebook["code_label"])) if codebook is not None else {}
    fig, axes = _figure(DOUBLE, 1.0 + 0.45 * len(joint), 1, 2, sharey=True)
    y = np.arange(len(joint))[::-1]
    for ax, prefix, title in zip(
        axes, ("talk", "outcome"), ("Raised the code (qualitative sources)", "Reported the outcome (survey)")
    ):
        for offset, (role, label) in zip((0.15, -0.15), zip(("control", "intervention"), arm_labels)):
            ax.scatter(
                joint[f"{prefix}_{role}_percent"],
                y + offset,
                s=18,
                color=ARM_COLOURS[role],
                label=_arm(label),
                zorder=3,
            )
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, len(joint) - 0.4)
        ax.set_title(title, fontsize=FONT, pad=3)
        ax.set_xlabel("% of learners")
        ax.grid(axis="x", color="#e0e0e0", lw=0.5)
        ax.set_axisbelow(True)
    names = [
        f"{_wrap(_label(c, labels), 30)}\n↔ {SHORT_LABELS.get(o, o)} ({j})"
        for c, o, j in zip(joint["code"], joint["outcome"], joint["judgement"])
    ]
    axes[0].set_yticks(y, names)
    _top_legend(fig, *axes[1].get_legend_handles_labels(), ncols=2)
    return fig


THEME_COLOURS = ["#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


def _stack(desired: list[float], heights: list[float], floor: float, ceiling: float, gap: float) -> list[float]:
    """Centres for boxes of ``heights`` as near ``desired`` as possible, in the same
    order from top to bottom, ``gap`` apart and within ``floor`` and ``ceiling``: a
    downward sweep that pushes each box below the one above, then an upward sweep that
    lifts boxes above the floor. Needs ``ceiling - floor`` at least the stack's height."""
    order = sorted(range(len(desired)), key=lambda k: -desired[k])
    top = {}
    limit = ceiling
    for k in order:
        top[k] = min(desired[k] + heights[k] / 2, limit)
        limit = top[k] - heights[k] - gap
    bottom_limit = floor
    for k in reversed(order):
        if top[k] - heights[k] < bottom_limit:
            top[k] = bottom_limit + heights[k]
        bottom_limit = top[k] + gap
    return [top[k] - heights[k] / 2 for k in range(len(desired))]


def framework(edges: pd.DataFrame, codebook: pd.DataFrame, alpha: float = 0.05):
    """Conceptual framework: every code on a circle, grouped and coloured by theme;
    a line joins two codes that share units more often than chance
    (:func:`compendium.mixed.integration.framework_edges`, ``linked``). Line width grows with
    the lift (observed over expected shared units). Lines are undirected: co-occurrence
    gives no direction. Labels stand in two columns beside the circle, each joined to
    its dot by a thin leader, stacked so that no two touch (:func:`_stack`), and the
    figure grows as tall as its labels need."""
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
    width = DOUBLE * 72  # the canvas in points, one data unit per point
    radius, reach, line, gap = 0.2 * width, 26.0, FONT * 1.2, 4.0
    column = width / 2 - radius - reach - 6  # room for a label column
    # half a step off the vertical, so that every code falls clearly left or right
    angle = {c: math.pi / 2 - 2 * math.pi * (k + 0.5) / max(n, 1) for k, c in enumerate(codes)}
    texts = {}
    for c in codes:
        wrap = 34
        while wrap > 12 and _text_width(_wrap(labels[c], wrap)) > column:
            wrap -= 2
        texts[c] = _wrap(labels[c], wrap)
    heights = {c: line * (texts[c].count("\n") + 1) for c in codes}
    sides = {
        "right": [c for c in codes if math.cos(angle[c]) >= 0],
        "left": [c for c in codes if math.cos(angle[c]) < 0],
    }
    stack = max([sum(heights[c] + gap for c in side) for side in sides.values()] + [0])
    plot = max(2 * radius + 2 * line, stack + line)
    handles = [Line2D([], [], marker="o", ls="", color=colour[t], label=_wrap(theme_labels[t], 44)) for t in theme_ids]
    crossing = [
        r for r in edges.itertuples(index=False) if bool(r.linked) and theme_of.get(r.code_1) != theme_of.get(r.code_2)
    ]
    if crossing:
        handles.append(Line2D([], [], color="#777777", lw=1.5, label="Codes of two themes"))
    ncols = 1 if len(handles) <= 2 else 2
    rows = [handles[k : k + ncols] for k in range(0, len(handles), ncols)]
    legend = 14 + sum(max(str(h.get_label()).count("\n") + 1 for h in row) * line + 4 for row in rows) + 6
    height = plot + legend + 8
    fig = plt.figure(figsize=(DOUBLE, height / 72))
    fig.compendium_print_mm = DOUBLE_MM  # type: ignore[attr-defined]  # read by save()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    cx, cy = width / 2, legend + plot / 2
    ax.add_patch(plt.Circle((cx, cy), radius, fill=False, ec="#e6e6e6", lw=0.6, zorder=0))
    pos = {c: (cx + radius * math.cos(a), cy + radius * math.sin(a)) for c, a in angle.items()}
    linked = edges[edges["linked"].astype(bool)] if len(edges) else edges
    top = float(linked["lift"].max()) if len(linked) else 1.0
    for r in linked.itertuples(index=False):
        if r.code_1 not in pos or r.code_2 not in pos:
            continue
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
            label="_link",
        )
    for side, members in sides.items():
        centres = _stack(
            [pos[c][1] for c in members], [heights[c] for c in members], legend + 4, legend + plot - 4, gap
        )
        sign = 1 if side == "right" else -1
        x_text = cx + sign * (radius + reach)
        for c, y in zip(members, centres):
            x, y0 = pos[c]
            ax.plot([x, x_text - sign * 3], [y0, y], color="#bbbbbb", lw=0.4, zorder=0)
            ax.text(x_text, y, texts[c], ha="left" if sign > 0 else "right", va="center", fontsize=FONT, zorder=4)
    for c, (x, y) in pos.items():
        ax.scatter([x], [y], s=36, color=colour[theme_of[c]], zorder=3, edgecolors="white", linewidths=0.6)
    if not len(linked):
        ax.text(
            cx,
            cy,
            _wrap("No pair of codes shares units more often than chance at this level.", 30),
            ha="center",
            va="center",
            fontsize=FONT,
            color="#444444",
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 4 / height),
        ncols=ncols,
        frameon=False,
        title=f"Themes (dots); a line joins two codes that share units more often than chance (Holm p < {alpha:g})",
        borderaxespad=0,
    )
    return fig


def participant_flow(flow: pd.DataFrame):
    """CONSORT-style flow: enrolled, allocated, withdrew, lost to the post wave,
    analysed per outcome, for each arm; every number from the data. Each box is sized
    from the text it holds, so no text leaves its box."""
    import matplotlib.pyplot as plt

    configure()
    width_pt = DOUBLE * 72
    pad, line = 6.0, FONT * 1.25

    def size(text: str) -> tuple[float, float]:
        return _text_width(text) + 2 * pad, line * (text.count("\n") + 1) + 2 * pad

    enrolled = int(flow["allocated"].sum())
    rows = list(flow.itertuples(index=False))
    texts: dict[Any, str] = {"top": f"Enrolled and allocated\nn = {enrolled}"}
    for k, r in enumerate(rows):
        texts[("alloc", k)] = f"Allocated to {_arm(r.arm)}\nn = {r.allocated}"
        texts[("lost", k)] = (
            f"Withdrew consent: n = {r.withdrew}\nNo post-intervention survey: n = {r.no_post_wave}\n"
            f"Followed up: n = {r.followed_up}"
        )
        texts[("analysed", k)] = "Analysed\n" + "\n".join(
            f"{SHORT_LABELS.get(c[9:], c[9:])}: n = {getattr(r, c)}" for c in flow.columns if c.startswith("analysed_")
        )
    sizes = {key: size(t) for key, t in texts.items()}
    gap = 22.0
    heights = {stage: max(sizes[(stage, k)][1] for k in range(len(rows))) for stage in ("alloc", "lost", "analysed")}
    total = sizes["top"][1] + sum(heights.values()) + 3 * gap + 8
    fig = plt.figure(figsize=(DOUBLE, total / 72))
    fig.compendium_print_mm = DOUBLE_MM  # type: ignore[attr-defined]  # read by save()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.set_xlim(0, width_pt)
    ax.set_ylim(0, total)
    columns = [width_pt * (k + 1) / (len(rows) + 1) for k in range(len(rows))]

    def box(x, ytop, key, h=None):
        w, hh = sizes[key]
        h = h or hh
        ax.add_patch(plt.Rectangle((x - w / 2, ytop - h), w, h, fc="white", ec="black", lw=0.7))
        ax.text(x, ytop - h / 2, texts[key], ha="center", va="center", fontsize=FONT, linespacing=1.25)
        return ytop - h

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "lw": 0.7, "shrinkA": 0, "shrinkB": 0}
        )

    y = total - 4
    bottom = box(width_pt / 2, y, "top")
    y = bottom - gap
    stage_centres = {}
    for stage in ("alloc", "lost", "analysed"):
        h = heights[stage]
        for k, x in enumerate(columns):
            if stage == "alloc":
                arrow(width_pt / 2, bottom, x, y)
            else:
                arrow(x, y + gap, x, y)
            box(x, y, (stage, k), h)
        stage_centres[stage] = y - h / 2
        y = y - h - gap
    for label, stage in (("Allocation", "alloc"), ("Follow-up", "lost"), ("Analysis", "analysed")):
        ax.text(
            6,
            stage_centres[stage],
            label,
            rotation=90,
            ha="left",
            va="center",
            fontsize=FONT,
            fontweight="bold",
            color="#0072B2",
        )
    return fig


def _number(context: Mapping, key: str, default):
    value = context.get(key, default)
    return default if value is None or value == "" else value


def _apa(value: float) -> str:
    """A probability as APA style prints it, without the zero before the point ('.05')."""
    text = f"{value:g}"
    return text[1:] if text.startswith("0.") else text


def _links_sentence(ctx: Mapping) -> str:
    """How many pairs of codes the framework's rule drew (``framework.links`` of
    ``framework.pairs``), and, when none passed, that the figure shows the codes by
    theme only; empty without the counts."""
    links, pairs = ctx.get("framework.links"), ctx.get("framework.pairs")
    if not isinstance(links, (int, float)) or isinstance(links, bool):
        return ""
    total = int(pairs) if isinstance(pairs, (int, float)) and not isinstance(pairs, bool) else None
    if int(links) == 0:
        of = f" of the {total} pairs of codes" if total is not None else " of the pairs of codes"
        return (
            f" On these data none{of} passed the rule, so no line is drawn: the figure shows only the codes "
            "grouped by theme."
        )
    drawn = "is drawn" if int(links) == 1 else "are drawn"
    if total is not None:
        return f" Of the {total} pairs of codes, {int(links)} passed the rule and {drawn}."
    return f" Pairs of codes that passed the rule and {drawn}: {int(links)}."


def caption(stem: str, context: Mapping | None = None) -> str:
    """The caption of the figure saved as ``stem``: what it shows and how each mark was
    computed, with the analysis's levels and thresholds taken from ``context`` (the flat
    ``reports/results.json``: ``params.ci_level``, ``params.kappa_threshold``,
    ``params.framework_alpha``, ``flow.<arm>.enrolled``; a missing key falls back to
    the shipped default). The text names no study-specific code, theme or arm, so it
    reads true for any data set that meets the contract.

    Parameters
    ----------
    stem : str
        The figure's file stem under ``reports/figures/`` (``outcome_proportions``,
        ``forest_sites_<outcome>``, ...).
    context : mapping, optional
        Results keyed by dotted path.
    """
    ctx = context or {}
    level = float(_number(ctx, "params.ci_level", 0.95))
    pct = f"{level * 100:g}%"
    if stem.startswith("forest_sites_"):
        outcome = stem.removeprefix("forest_sites_")
        name = OUTCOME_LABELS.get(outcome, outcome.replace("_", " ")).lower()
        return (
            f"Risk difference in {name} between the arms (intervention minus control, percentage points) "
            f"at each site (squares, with {pct} confidence intervals) and pooled across sites by a "
            "random-effects model (DerSimonian and Laird 1986; diamond, with the share of variation due to "
            "heterogeneity between sites, I²). The dashed line marks no difference."
        )
    if stem.startswith("likert_"):
        scale = {"likert_cultural_competence": "cultural-competence", "likert_support": "institutional-support"}.get(
            stem, stem.removeprefix("likert_").replace("_", " ")
        )
        return (
            f"Answers to each {scale} item in the survey before (left) and after (right) the intervention, by "
            "arm, as diverging stacked bars (Heiberger and Robbins 2014): answers 1 and 2 lie left of zero, 4 and "
            "5 right of it, and 3 is split across it. Percentages are of the learners who answered the item at "
            "that wave. Items carry their wording from the study description, or their column name where it "
            "gives none."
        )
    enrolled = [ctx.get(f"flow.{role}.enrolled") for role in ("control", "intervention")]
    enrolled_text = (
        f" ({int(sum(float(e) for e in enrolled if e is not None))} learners enrolled)"
        if all(isinstance(e, (int, float)) for e in enrolled)
        else ""
    )
    texts = {
        "participant_flow": (
            f"Participant flow{enrolled_text}: learners allocated to each arm, those who withdrew consent "
            "(their data are removed from every analysis) or did not answer the post-intervention survey, and the "
            "number analysed for each outcome, counted from the participant and survey files."
        ),
        "outcome_proportions": (
            f"Percentage of learners in each arm with each binary outcome, with {pct} Wilson score intervals "
            "(Wilson 1927). An outcome counts when its rule in the data dictionary is met; a learner without the "
            "answers a rule needs is left out of that outcome's denominator."
        ),
        "effects_forest": (
            f"Odds ratio of each outcome, intervention against control, on a log scale with {pct} confidence "
            "intervals: unadjusted (from the two-by-two table), adjusted for the covariates named in the "
            "analysis parameters (logistic regression), and Mantel-Haenszel across the strata named there. "
            "The dashed line marks an odds ratio of 1, no difference between the arms."
        ),
        "agreement_by_code": (
            "Agreement between the coders on each code, over the units of the sources both coded, each code "
            "present or absent on each unit: Cohen's kappa (circles) and Krippendorff's alpha for nominal data "
            "(diamonds), on lines of their own. The dashed line marks the threshold "
            f"({float(_number(ctx, 'params.kappa_threshold', 0.6)):g}) below which a code is flagged for review; "
            "a code neither coder used has no marker."
        ),
        "themes_by_group": (
            "Coded units per theme in the consensus coding, by the arm of the learner who spoke or wrote the "
            "unit (left) and by the type of source (right). A colour stands for the same group in both panels; "
            "the arms keep the colours they have in every figure."
        ),
        "code_cooccurrence": (
            "Number of coded units to which both codes of a pair were applied in the consensus coding. Codes "
            "are numbered in codebook order; the columns repeat the row numbers, and the diagonal is blank."
        ),
        "joint_display": (
            "Each code that the study description links to a survey outcome: the percentage of interviewed "
            "learners in each arm who raised the code in the qualitative sources (left) and the percentage of "
            "analysed learners in each arm with the outcome (right). The label gives the link's judgement, "
            "made by the rule stated with the joint display table."
        ),
        "conceptual_framework": (
            "Conceptual framework: every code of the codebook on a circle, coloured by theme. A line joins two "
            "codes applied to the same unit more often than chance (one-sided Fisher's exact test of their "
            "shared units against independence, Holm-adjusted over all pairs of codes, p below "
            f"{_apa(float(_number(ctx, 'params.framework_alpha', 0.05)))}); its width grows with the ratio of "
            "observed to expected shared units. Lines carry no direction: co-occurrence does not give one."
            + _links_sentence(ctx)
        ),
    }
    return texts.get(stem, f"Figure {stem.replace('_', ' ')}.")
