"""Words that follow the numbers: the rules that choose every judgement the
manuscript, the index page and the checklists make about the data.

Each rule is a small pure function; its docstring states the rule and, where there is
one, the convention it follows. The thresholds are module constants and are printed
in the manuscript's Methods (through :func:`rule_values`, which also lets the
manuscript's number check account for them). No function here knows anything about
a particular study: it receives numbers and labels, never codes, themes or arms.

A missing value (``None`` or NaN) is never compared: it is described as
``"suppressed"`` (a count hidden by the small-cell rule) or ``"not estimable"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from compendium.core.io import unsigned_zero  # noqa: F401 - the manuscript's formatters use it from here

# --------------------------------------------------------------------------- thresholds

#: |SMD| below this: the arms are "similar" on a baseline characteristic.
SMD_SIMILAR = 0.1
#: |SMD| from SMD_SIMILAR up to (not including) this: "a small difference"; from here on: "differed".
SMD_DIFFERED = 0.2
#: Significance level of every test the text calls significant (two-sided).
ALPHA = 0.05
#: Cronbach's alpha from which a scale is called "internally consistent" (Nunnally 1978).
ALPHA_CONSISTENT = 0.7
#: Cronbach's alpha from which a scale is of "borderline internal consistency"; below it is "not
#: internally consistent".
ALPHA_BORDERLINE = 0.6
#: Change-in-estimate rule: adjustment "changed the odds ratio little" when the adjusted OR is within
#: this proportion of the unadjusted one (Maldonado and Greenland 1993's 10% criterion).
OR_CHANGE = 0.1
#: Learners' shares raising a theme, compared across arms or sites: when the printed
#: percentages lie within this many percentage points of one another the theme is said to be
#: raised "in similar shares"; otherwise the group with the largest share is named.
THEME_SPREAD_POINTS = 10

SUPPRESSED = "suppressed"
NOT_ESTIMABLE = "not estimable"
NOT_REPORTED = "not reported"
TO_COMPLETE = "[to be completed]"


def rule_values() -> dict[str, float]:
    """The thresholds under dotted keys, so that the manuscript can print them and its
    number check can account for them."""
    return {
        "wording.smd_similar": SMD_SIMILAR,
        "wording.smd_differed": SMD_DIFFERED,
        "wording.alpha": ALPHA,
        "wording.alpha_consistent": ALPHA_CONSISTENT,
        "wording.alpha_borderline": ALPHA_BORDERLINE,
        "wording.or_change_percent": 100 * OR_CHANGE,
        "wording.theme_spread_points": THEME_SPREAD_POINTS,
    }


def apa_number(x: float) -> str:
    """A number below 1 as APA prints statistics that cannot exceed 1: no leading zero
    (".05")."""
    text = f"{x:g}"
    return text[1:] if text.startswith("0.") else text


def missing(value) -> bool:
    """True for None, NaN and infinities: a value no rule may compare."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


# --------------------------------------------------------------------------- English


def join(items: Iterable[str], conjunction: str = "and") -> str:
    """Rule: a list in English without the serial comma: "a", "a and b", "a, b and c";
    an empty list gives ""."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def plural(word: str) -> str:
    """Rule: the plural of a noun phrase's last word (English regular plurals: -s, -es after
    s/x/z/ch/sh, -ies after a consonant and y)."""
    head, _, last = word.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def count(n, noun: str, plural_form: str | None = None) -> str:
    """Rule: a count with its noun in the right number; one is written as a word ("one
    interview"), every other count as a numeral ("0 documents", "4 interviews"). A missing
    count is "an unknown number of <plural>"."""
    many = plural_form or plural(noun)
    if missing(n):
        return f"an unknown number of {many}"
    n = int(n)
    return f"one {noun}" if n == 1 else f"{n} {many}"


def number_word(n: int) -> str:
    """Rule: counts from zero to ten as words (used where a count starts a sentence or names
    a set, "four themes"); larger ones as numerals."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n <= 10 else str(n)


def capitalise(text: str) -> str:
    """The first letter in upper case, the rest untouched."""
    return text[:1].upper() + text[1:]


# how the prose names each source type of the data contract: (one, many)
SOURCE_NOUNS = {
    "interview": ("interview", "interviews"),
    "focus_group": ("focus group", "focus groups"),
    "document": ("document or online post", "documents or online posts"),
}


def source_types(counts: dict[str, int | None], nouns: dict[str, tuple[str, str]] | None = None) -> str:
    """Rule: the sources by type, listing only the types present (count > 0), in the order
    given, each with its count in the right number: ``{"interview": 4, "focus_group": 0,
    "document": 0}`` gives "4 interviews"; ``{"interview": 1, "document": 2}`` gives "one
    interview and 2 documents". No source at all gives "no sources"."""
    present = [(t, n) for t, n in counts.items() if n is not None and not missing(n) and int(n) > 0]
    if not present:
        return "no sources"
    nouns = nouns or {}
    return join(count(n, *nouns.get(t, (t.replace("_", " "), None))) for t, n in present)


def source_type_names(counts: dict[str, int | None], nouns: dict[str, tuple[str, str]] | None = None) -> str:
    """Rule: the names (plural) of the source types present, without counts: "interviews
    and documents"; for one source of a type "one <singular>" ("interviews and one
    document"). Absent types are left out."""
    nouns = nouns or {}
    names = []
    for t, n in counts.items():
        if n is None or missing(n) or int(n) <= 0:
            continue
        singular, many = nouns.get(t, (t.replace("_", " "), None))
        names.append(f"one {singular}" if int(n) == 1 else (many or plural(singular)))
    return join(names)


# --------------------------------------------------------------------------- comparisons


def direction(a, b, decimals: int = 0) -> str:
    """Rule: the direction of ``a`` against ``b`` read from the values as printed (rounded
    to ``decimals``), so that the word can never contradict the numbers beside it:
    "more" when a's printed value is larger, "fewer" when smaller, "the same share" when
    they print the same. Either value missing: "not estimable"."""
    if missing(a) or missing(b):
        return NOT_ESTIMABLE
    ra, rb = round(float(a), decimals), round(float(b), decimals)
    if ra > rb:
        return "more"
    if ra < rb:
        return "fewer"
    return "the same share"


def frequency(a, b, decimals: int = 0) -> str:
    """Rule: as :func:`direction`, for an outcome: "more frequent", "less frequent", "as
    frequent" (printed values equal) or "not estimable"."""
    d = direction(a, b, decimals)
    return {"more": "more frequent", "fewer": "less frequent", "the same share": "as frequent"}.get(d, d)


def balance(smd) -> str:
    """Rule: baseline balance from the standardized mean difference (Austin 2009): |SMD| <
    SMD_SIMILAR (0.1) "similar"; SMD_SIMILAR <= |SMD| < SMD_DIFFERED (0.2) "a small
    difference"; |SMD| >= SMD_DIFFERED "differed". A suppressed or undefined SMD: "not
    estimable"."""
    if missing(smd):
        return NOT_ESTIMABLE
    size = abs(float(smd))
    if size < SMD_SIMILAR:
        return "similar"
    if size < SMD_DIFFERED:
        return "a small difference"
    return "differed"


def judged_smd(worst, suppressed: bool):
    """Rule: the |SMD| by which a characteristic's balance is judged, from the largest
    visible |SMD| over its levels (``worst``) and whether a level is suppressed. Without
    suppression, ``worst`` itself. With a suppressed level the largest |SMD| is unknown,
    but a visible one of at least SMD_DIFFERED (0.2) bounds it from below, so the arms
    differed whatever the hidden levels hold: ``worst`` is returned; below that bound the
    verdict could still change, so None (not estimable)."""
    if missing(worst):
        return None
    if suppressed and abs(float(worst)) < SMD_DIFFERED:
        return None
    return worst


def share_phrase(a, b, a_name: str, what: str, decimals: int = 0) -> str:
    """Rule: a between-arm comparison of two printed percentages, by :func:`direction`:
    "<a_name> held more <what>, a% against b%", "... fewer ...", or "<a_name> held the
    same share of <what>, a% against b%"; a missing value gives "<what>: not estimable
    (suppressed)"."""
    if missing(a) or missing(b):
        return f"{what}: {SUPPRESSED} in at least one arm"
    way = direction(a, b, decimals)
    shares = f"{float(a):.{decimals}f}% against {float(b):.{decimals}f}%"
    if way == "the same share":
        return f"{a_name} held the same share of {what}, {shares}"
    return f"{a_name} held {way} {what}, {shares}"


#: Level labels read as "yes" and "no" (case-insensitive) in a yes/no characteristic.
YES_LABELS = ("yes", "y", "true", "1")
NO_LABELS = ("no", "n", "false", "0")


def yes_level(levels: Iterable[str]) -> str | None:
    """Rule: the level that means "yes" when a characteristic's levels (missing left out)
    are exactly one "yes" label and one "no" label (:data:`YES_LABELS`, :data:`NO_LABELS`,
    compared case-insensitively, whatever their spelling in the data); otherwise None.
    A yes/no characteristic is then described by its "yes" level, so that the text never
    says "fewer learners recorded as no"."""
    levels = [str(x) for x in levels]
    if len(levels) != 2:
        return None
    yes = [x for x in levels if x.strip().lower() in YES_LABELS]
    no = [x for x in levels if x.strip().lower() in NO_LABELS]
    return yes[0] if len(yes) == 1 and len(no) == 1 else None


def balance_summary(items: Sequence[tuple[str, float | None, str]]) -> str:
    """Rule: one sentence on baseline balance, grouping the characteristics ``(label,
    largest |SMD| over its levels, detail)`` by :func:`balance`: "The arms were similar in
    A and B; they differed slightly in C (detail); they differed in D (detail); balance in
    E was not estimable (suppressed cells)." ``detail`` (may be "") is added to the
    characteristics that differ."""
    groups: dict[str, list[str]] = {"similar": [], "a small difference": [], "differed": [], NOT_ESTIMABLE: []}
    for label, smd, detail in items:
        verdict = balance(smd)
        groups[verdict].append(
            label if verdict in ("similar", NOT_ESTIMABLE) or not detail else f"{label} ({detail})"
        )  # detail carries no parentheses of its own
    parts = []
    if groups["similar"]:
        parts.append(f"the arms were similar in {join(groups['similar'])}")
    lead = "they" if parts else "the arms"
    if groups["a small difference"]:
        parts.append(f"{lead} differed slightly in {join(groups['a small difference'])}")
        lead = "they"
    if groups["differed"]:
        parts.append(f"{lead} differed in {join(groups['differed'])}")
    if groups[NOT_ESTIMABLE]:
        parts.append(f"balance in {join(groups[NOT_ESTIMABLE])} was {NOT_ESTIMABLE} (suppressed or missing cells)")
    return capitalise("; ".join(parts)) + "." if parts else ""


def significant(p, alpha: float = ALPHA) -> bool | None:
    """Rule: significant when p < alpha; None when p is missing."""
    if missing(p):
        return None
    return float(p) < alpha


def holm_sentence(
    outcomes: Sequence[tuple[str, float | None, float | None]], alpha: float = ALPHA, noun: str = "difference"
) -> str:
    """Rule: which outcomes' differences hold after Holm's correction. Each outcome is
    said to hold only if its own Holm-adjusted p < alpha. Given ``(label, p, p_holm)``
    per outcome:

    - every one holds: "All <n> differences held after Holm's correction."
    - none holds: "None of the differences held after Holm's correction" (with those
      significant before correction named);
    - some: "The differences in A and B held after Holm's correction; those in C did
      not."
    Outcomes whose p is missing are named as not estimable.
    """
    held = [label for label, _, ph in outcomes if significant(ph, alpha)]
    unknown = [label for label, p, ph in outcomes if missing(ph)]
    failed = [label for label, _, ph in outcomes if significant(ph, alpha) is False]
    before = [label for label, p, ph in outcomes if significant(ph, alpha) is False and significant(p, alpha)]
    parts = []
    if held and not failed and not unknown:
        many = "Both" if len(held) == 2 else f"All {number_word(len(held))}"
        parts.append(
            f"{many} {plural(noun)} held after Holm's correction"
            if len(held) > 1
            else f"The {noun} held after Holm's correction"
        )
    elif not held and failed:
        text = (
            f"None of the {plural(noun)} held after Holm's correction"
            if len(failed) > 1
            else f"The {noun} in {failed[0]} did not hold after Holm's correction"
        )
        if before:
            text += f" ({join(before)} had p < {apa_number(alpha)} before it)"
        parts.append(text)
    else:
        if held:
            parts.append(f"The {plural(noun) if len(held) > 1 else noun} in {join(held)} held after Holm's correction")
        if failed:
            text = (
                f"those in {join(failed)} did not"
                if held
                else f"the {plural(noun) if len(failed) > 1 else noun} in {join(failed)} did not hold after Holm's "
                "correction"
            )
            if before:
                text += f" ({join(before)} had p < {apa_number(alpha)} before it)"
            parts.append(text)
    if unknown:
        parts.append(f"for {join(unknown)} no test was estimable")
    return capitalise("; ".join(parts)) + "."


def adjusted_sentence(
    outcomes: Sequence[tuple[str, float | None, float | None, float | None]], alpha: float = ALPHA
) -> str:
    """Rule: the adjusted analyses, per outcome ``(label, or_unadjusted, or_adjusted,
    p_adjusted)``. Adjustment "changed the odds ratio little" when |OR_adj / OR - 1| <
    OR_CHANGE (10%), otherwise it "moved" it; an adjusted effect "remained significant"
    only if its own p < alpha. Missing ORs are "not estimable"."""
    little: list[str] = []
    moved: list[str] = []
    unknown: list[str] = []
    sig, nonsig = [], []
    for label, crude, adj, p in outcomes:
        if crude is None or adj is None or missing(crude) or missing(adj) or float(crude) <= 0:
            unknown.append(label)
            continue
        (little if abs(float(adj) / float(crude) - 1) < OR_CHANGE else moved).append(label)
        s = significant(p, alpha)
        if s is True:
            sig.append(label)
        elif s is False:
            nonsig.append(label)
    parts = []
    if little:
        parts.append(f"adjustment changed the odds ratio by less than {100 * OR_CHANGE:g}% for {join(little)}")
    if moved:
        lead = "it" if parts else "adjustment"  # "it" only after "adjustment" has been named
        parts.append(f"{lead} changed the odds ratio by {100 * OR_CHANGE:g}% or more for {join(moved)}")
    if unknown:
        parts.append(f"the adjusted odds ratio was not estimable for {join(unknown)}")
    text = capitalise("; ".join(parts)) + "." if parts else ""
    if sig and not nonsig:
        text += (
            " Every adjusted odds ratio" if len(sig) > 1 else " The adjusted odds ratio"
        ) + f" had p < {apa_number(alpha)}."
    elif nonsig and not sig:
        text += (
            f" No adjusted odds ratio had p < {apa_number(alpha)}."
            if len(nonsig) > 1
            else f" The adjusted odds ratio for {nonsig[0]} did not have p < {apa_number(alpha)}."
        )
    elif sig:
        text += f" After adjustment, {join(sig)} had p < {apa_number(alpha)} and {join(nonsig)} did not."
    return text.strip()


def consistency(alpha) -> str:
    """Rule: internal consistency from Cronbach's alpha (Nunnally 1978; George and Mallery
    2003): alpha >= ALPHA_CONSISTENT (0.7) "internally consistent"; ALPHA_BORDERLINE (0.6)
    <= alpha < 0.7 "of borderline internal consistency"; below 0.6 "not internally
    consistent"; missing "of unknown internal consistency (alpha not estimable)"."""
    if missing(alpha):
        return "of unknown internal consistency (alpha not estimable)"
    a = float(alpha)
    if a >= ALPHA_CONSISTENT:
        return "internally consistent"
    if a >= ALPHA_BORDERLINE:
        return "of borderline internal consistency"
    return "not internally consistent"


def consistency_sentence(scale: str, values: Sequence[tuple[str, float | None, str]]) -> str:
    """A sentence on one scale across waves, by :func:`consistency`. ``values`` holds
    ``(wave name, alpha, alpha as printed)``. One verdict for every wave: "The <scale>
    was internally consistent at both surveys (Cronbach's alpha .82 before and .81
    after)"; different verdicts are given wave by wave."""
    verdicts = [consistency(a) for _, a, _ in values]
    shown = join(f"{text} {wave}" for wave, _, text in values)
    if len(set(verdicts)) == 1:
        when = "both surveys" if len(values) == 2 else ("every survey" if len(values) > 2 else "the survey")
        if verdicts[0].startswith("not ") and len(values) > 1:  # "not ... at both" reads as "at one only"
            none = "neither survey" if len(values) == 2 else "no survey"
            return f"The {scale} was {verdicts[0][4:]} at {none} (Cronbach's alpha {shown})."
        return f"The {scale} was {verdicts[0]} at {when} (Cronbach's alpha {shown})."
    per_wave = join(f"{v} {wave}" for (wave, _, _), v in zip(values, verdicts))
    return f"The {scale} was {per_wave} (Cronbach's alpha {shown})."


def kappa_band(kappa) -> str:
    """Rule: Landis and Koch (1977) bands of Cohen's kappa: < 0 "poor", 0-0.20 "slight",
    0.21-0.40 "fair", 0.41-0.60 "moderate", 0.61-0.80 "substantial", > 0.80 "almost
    perfect"; missing "not estimable"."""
    if missing(kappa):
        return NOT_ESTIMABLE
    k = float(kappa)
    if k < 0:
        return "poor"
    for limit, word in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if k <= limit:
            return word
    return "almost perfect"


# --------------------------------------------------------------------------- qualitative analysis


def _of(n: int, total: int, noun: str, plural_form: str | None = None) -> str:
    """Rule: a count out of a total: '4 of the 24 interviews', 'all 4 focus groups', 'both
    documents', 'one of the 3 documents', 'the one interview'."""
    many = plural_form or plural(noun)
    if total == 1:
        return f"the one {noun}" if n == 1 else f"none of the one {noun}"
    if total == 2 and n == 2:
        return f"both {many}"
    if n == total:
        return f"all {total} {many}"
    return f"{'one' if n == 1 else n} of the {total} {many}"


def spread_sentence(groups: Sequence[tuple[str, int, int, float]], what: str = "arm") -> str:
    """Rule: how evenly a theme reaches the learners of each group (arm or site), from
    ``(name, learners raising it, learners of the group, percent)``. Percentages are
    compared as printed (no decimals): all within THEME_SPREAD_POINTS (10) points of one
    another, "in similar shares"; otherwise "more often in <the group with the larger
    share>" for two groups, "most often in <the group with the largest share>" for more
    (ties named together). Groups without learners are left out; fewer than two
    groups give ""."""
    present = [(name, n, total, pct) for name, n, total, pct in groups if total and not missing(pct)]
    if len(present) < 2:
        return ""
    shown = [round(float(pct)) for *_, pct in present]
    parts = join(f"{n} of {total} learners of {name} ({p}%)" for (name, n, total, _), p in zip(present, shown))
    if max(shown) - min(shown) < THEME_SPREAD_POINTS:
        return f"Learners raised it in similar shares in each {what}: {parts}."
    top = [name for (name, *_), p in zip(present, shown) if p == max(shown)]
    most = "more often" if len(present) == 2 else "most often"
    return f"Learners raised it {most} in {join(top)}: {parts}."


def times(n: int) -> str:
    """'once', 'twice', '<n> times'."""
    return {1: "once", 2: "twice"}.get(int(n), f"{int(n)} times")


def cooccurrence_sentence(pairs: Sequence[tuple[str, str, int, int]]) -> str:
    """Rule: how a theme's own codes occur together, from ``(code label, code label,
    units with both, sources with both)`` per pair of its codes. No pair (a theme of one
    code): "". One pair: the shared units and sources. Several: how many pairs shared
    at least one unit (a count above ten after "Of its ... pairs", so that no sentence opens
    with a numeral), and the pair sharing the most units (then the most sources, then
    codebook order), or the one pair that did; when no pair shared a unit, the pair found together in the most
    sources."""
    if not pairs:
        return ""
    if len(pairs) == 1:
        _, _, units, sources = pairs[0]
        if units == 0:
            return (
                f"Its two codes were never applied to the same unit, and occurred in the same source {times(sources)}."
                if sources
                else "Its two codes never occurred in the same unit or source."
            )
        return (
            f"Its two codes were applied to the same unit {times(units)} and occurred in the same source "
            f"{times(sources)}."
        )
    shared = [p for p in pairs if p[2] > 0]
    if not shared:
        a, b, _, sources = sorted(enumerate(pairs), key=lambda ip: (-ip[1][3], ip[0]))[0][1]
        if not sources:
            return f"None of its {len(pairs)} pairs of codes occurred in the same unit or source."
        return (
            f"None of its {len(pairs)} pairs of codes was applied to the same unit; {a.lower()} and {b.lower()} "
            f"occurred in the same source most often ({times(sources)})."
        )
    a, b, units, sources = sorted(enumerate(pairs), key=lambda ip: (-ip[1][2], -ip[1][3], ip[0]))[0][1]
    k = len(shared)
    if k == 1:  # a lone pair is named as such, not as the one that did so "most often"
        return (
            f"One of its {len(pairs)} pairs of codes, {a.lower()} and {b.lower()}, was applied to the same unit "
            f"({count(units, 'unit')}; both occurred in {count(sources, 'source')})."
        )
    if k == len(pairs):
        lead = f"All {len(pairs)} pairs of its codes were"
    elif k <= 10:
        lead = f"{capitalise(number_word(k))} of its {len(pairs)} pairs of codes were"
    else:  # a sentence opens with a word, not a numeral
        lead = f"Of its {len(pairs)} pairs of codes, {k} were"
    return (
        f"{lead} applied to the same unit at least once, "
        f"{a.lower()} and {b.lower()} most often ({count(units, 'unit')}; both occurred in "
        f"{count(sources, 'source')})."
    )


def flagged_codes(
    n_codes: str, n_below: str, below: Sequence[str], unscored: Sequence[str], threshold, unused: bool
) -> str:
    """Rule: which codes Table 3 flags, told apart by why. A code is low when its Cohen's
    kappa, or the lower limit of its interval, lies below ``threshold``; a code whose
    coders' choices did not vary over the units both coded (typically one neither coder
    applied: ``unused``) has no kappa at all, because chance agreement is then 1 (Cohen
    1960), so it is named apart and never counted among the low ones. ``n_codes`` and
    ``n_below`` are the printed counts (the caller registers them)."""
    if below:
        text = (
            f"Of the {n_codes} codes, {n_below} had a kappa, or the lower limit of its interval, below the "
            f"threshold of {threshold} ({join(below)})."
        )
    else:
        text = f"No code had a kappa, or the lower limit of its interval, below the threshold of {threshold}."
    if unscored:
        one = len(unscored) == 1
        why = (
            f"neither coder applied {'it' if one else 'them'} in the units both coded"
            if unused
            else f"the coders' choices on {'it' if one else 'them'} did not vary over the units both coded"
        )
        text += f" The kappa of {join(unscored)} is undefined, since {why}."
    return text


def unscored_code_sentence(label: str, units: int, unused: bool) -> str:
    """Rule: a code Table 3 flags only because its kappa is undefined (see
    :func:`flagged_codes`) is not said to have low agreement: the sentence says why it has
    no kappa, and that there was nothing for the consensus to settle."""
    why = "neither coder applied it" if unused else "the coders' choices on it did not vary"
    return (
        f"{capitalise(label)} has no kappa: {why} in the {units} units both coded, so there was no "
        "disagreement to settle."
    )


def resolution_sentence(
    label: str,
    kappa: str,
    units: int,
    disagreements: int,
    applied: int,
    left_off: int,
    with_first: int,
    with_second: int,
    consensus: str,
    stand_in: str = "",
    first: str = "the first coder",
    second: str = "the second coder",
) -> str:
    """Rule: how the coders' disagreements on a code flagged for low agreement were
    settled, by where the consensus coding came from (``consensus``): ``file``, the
    consensus coding supplied with the data, whose choices are counted (code applied or
    left off, settled as the first or as the second coder had coded); ``coder``, one
    coder's coding standing in for a consensus (``stand_in`` names which, "first" or
    "second"), so every disagreement was settled that coder's way; ``majority``, a code
    kept where more than half of the coders applied it, so with two coders every
    disagreement left the code off. No disagreement: nothing to settle. ``first`` and
    ``second`` name the two coders compared, as Table 3 heads their columns."""
    head = (
        f"{capitalise(label)} was flagged for low agreement (kappa {kappa})"
        if kappa
        else f"{capitalise(label)} was flagged for low agreement"
    )
    if disagreements == 0:
        return f"{head}, although the coders never differed on it in the {units} units both coded."
    where = f"the coders differed on it in {disagreements} of the {units} units both coded"
    if consensus == "file":
        return (
            f"{head}: {where}, and the consensus coding supplied with the data applied the code in {applied} of "
            f"them and left it off in {left_off}; it sided with {first} in {with_first} and with {second} in "
            f"{with_second}."
        )
    if consensus == "coder":
        who = f"the {stand_in} coder's" if stand_in else "one coder's"
        return (
            f"{head}: {where}; no consensus coding was supplied, so {who} coding stood in for it and "
            f"settled each of them as that coder had coded it (the code applied in {applied}, left off in "
            f"{left_off})."
        )
    kept = (
        f"so the code was left off in {'both' if disagreements == 2 else f'all {disagreements}'}"
        if applied == 0 and disagreements > 1
        else (
            "so the code was left off there"
            if applied == 0
            else (
                ("so the code was applied there" if disagreements == 1 else f"so the code was applied in all {applied}")
                if left_off == 0
                else f"so the code was applied in {applied} and left off in {left_off}"
            )
        )
    )
    return (
        f"{head}: {where}; no consensus coding was supplied, and a code was kept only where more than half of "
        f"the coders applied it, {kept}."
    )


def theme_paragraph(
    code_labels: Sequence[str],
    units: int,
    sources: int,
    sources_total: int,
    learners: int,
    learners_total: int,
    types: Sequence[tuple[str, str, int, int]] = (),
    arms: Sequence[tuple[str, int, int, float]] = (),
    sites: Sequence[tuple[str, int, int, float]] = (),
    top: tuple[str | Sequence[str], int] | None = None,
    pairs: Sequence[tuple[str, str, int, int]] = (),
    disputes: Sequence[str] = (),
    agreement_measured: bool = True,
) -> str:
    """Rule: an analytic paragraph on one theme, in a fixed order: its codes; its reach
    (units, sources and learners among all those in the qualitative data); its spread
    across source types (``(singular, plural, sources with it, sources of the type)``,
    types without sources left out; the types it is absent from named), across arms
    and across sites (:func:`spread_sentence`); its most frequent code (codes tied for
    the most all named); how its codes
    co-occur (:func:`cooccurrence_sentence`); and how disagreements on its codes
    flagged for low agreement were settled (``disputes``, sentences from
    :func:`resolution_sentence`; none flagged: said so, when agreement was measured)."""
    n_codes = len(code_labels)
    text = [f"The theme grouped {number_word(n_codes)} code{'s' if n_codes != 1 else ''} ({join(code_labels)})."]
    if units == 0:
        text.append("No unit of the consensus coding carried it.")
        return " ".join(text)
    reach = f"It was coded in {count(units, 'unit')}, in {_of(sources, sources_total, 'source')}"
    if learners_total:
        who = _of(learners, learners_total, "learner")
        reach += f", spoken or written by {who} who took part in the qualitative strand"
    text.append(reach + ".")
    present = [(one, many, n, total) for one, many, n, total in types if total]
    if present:
        absent = [many if total > 1 else one for one, many, n, total in present if n == 0]
        found = join(_of(n, total, one, many) for one, many, n, total in present if n > 0)
        sentence = f"It appeared in {found}"
        if len(present) > 1 and not absent:
            sentence += ", so in every type of source"
        elif absent:
            sentence += f", and in no {join(absent, 'or')}"
        text.append(sentence + ".")
    for groups, what in ((arms, "arm"), (sites, "site")):
        spread = spread_sentence(groups, what)
        if spread:
            text.append(spread)
    if top is not None and n_codes > 1 and top[1] > 0:
        # ``top``: the code with the most units, or every code tied for the most (all named)
        names = [top[0]] if isinstance(top[0], str) else list(top[0])
        if len(names) == 1:
            text.append(f"Its most frequent code was {names[0].lower()} ({count(top[1], 'unit')}).")
        elif len(names) < n_codes:
            text.append(
                f"Its most frequent codes were {join([n.lower() for n in names])}, "
                f"tied at {count(top[1], 'unit')} each."
            )
        else:
            text.append(f"Its codes were applied equally often ({count(top[1], 'unit')} each).")
    co = cooccurrence_sentence(pairs)
    if co:
        text.append(co)
    if disputes:
        text.extend(disputes)
    elif agreement_measured:
        text.append(
            "None of its codes was flagged for low agreement between the coders."
            if n_codes > 1
            else "Its code was not flagged for low agreement between the coders."
        )
    return " ".join(text)


# --------------------------------------------------------------------------- integration


def arm_gap(control, intervention) -> str:
    """Rule: how two arms' printed percentages (no decimals) differ: "higher in the
    intervention arm" when the intervention's is at least THEME_SPREAD_POINTS (10) points
    above the control's, "higher in the control arm" when at least that much below,
    "similar" otherwise; "not estimable" when either is missing."""
    if missing(control) or missing(intervention):
        return NOT_ESTIMABLE
    gap = round(float(intervention)) - round(float(control))
    if gap >= THEME_SPREAD_POINTS:
        return "intervention"
    if gap <= -THEME_SPREAD_POINTS:
        return "control"
    return "similar"


def joint_surprise(talk: tuple, outcome: tuple, direction: str = "same") -> bool:
    """Rule: a pair of the joint display is surprising when the arms compare differently
    on the talk than on the outcome it is linked to: :func:`arm_gap` of the shares
    raising the code is not the one the outcome's leads to expect (the outcome's own
    for a ``same`` link, the opposite arm for an ``inverse`` link, "similar" for
    "similar"). Either comparison not estimable: not surprising (nothing to compare)."""
    said, reported = arm_gap(*talk), arm_gap(*outcome)
    if NOT_ESTIMABLE in (said, reported):
        return False
    if direction == "inverse":
        reported = {"intervention": "control", "control": "intervention"}.get(reported, reported)
    return said != reported


def joint_discussion(
    code: str,
    outcome: str,
    judgement: str,
    kappa: str,
    n: int,
    counts: tuple[int, int, int, int],
    talk: tuple,
    outcome_shares: tuple,
    arms: tuple[str, str],
    direction: str = "same",
) -> str:
    """Rule: a short paragraph on one pair of the joint display that is dissonant (by
    the kappa rule) or surprising (:func:`joint_surprise`); "" for any other pair.
    ``counts`` are the learners who said and reported, said only, reported only and
    neither; ``talk`` and ``outcome_shares`` the (control, intervention) percentages;
    ``arms`` the arms' names (control, intervention); for an ``inverse`` link the code is
    expected with the outcome's absence."""
    dissonant = judgement == "dissonant"
    surprising = judgement in ("convergent", "complementary", "dissonant") and joint_surprise(
        talk, outcome_shares, direction
    )
    if not (dissonant or surprising):
        return ""
    both, said_only, reported_only, neither = counts
    expect = "reported" if direction == "same" else "did not report"
    text = [f"*{capitalise(code)} and {outcome}.*"]
    if dissonant:
        text.append(
            f"Among the {n} learners in both data sets, raising the code agreed no better than chance with "
            f"whether they {expect} {outcome} (kappa {kappa}): {both} raised it and reported the outcome, "
            f"{said_only} raised it without the outcome and {reported_only} reported the outcome without raising "
            f"it. What the code captures and what the survey item asks may differ, or learners may speak of it "
            "for reasons the outcome does not record; the pair is a question for the qualitative data rather than "
            "support for the outcome."
        )
    else:
        text.append(f"The pair was {judgement} among the {n} learners in both data sets (kappa {kappa}).")
    if surprising:
        c_talk, i_talk = (f"{round(float(x))}%" for x in talk)
        c_out, i_out = (f"{round(float(x))}%" for x in outcome_shares)
        said = arm_gap(*talk)
        said_text = (
            "about as often in both arms"
            if said == "similar"
            else f"more often in {arms[0] if said == 'control' else arms[1]}"
        )
        text.append(
            f"Yet the arms compare differently on the two: learners raised the code {said_text} ({c_talk} in "
            f"{arms[0]} against {i_talk} in {arms[1]}), while the outcome was {c_out} against {i_out}."
            + (" Neither within nor between the arms does the talk follow the outcome." if dissonant else "")
        )
    return " ".join(text)


def joint_between_arms(pairs: int) -> str:
    """Rule: the one sentence that closes the discussion of the joint display when
    ``pairs`` (at least one) pairs agree within the learners (not dissonant) but are
    surprising between the arms (:func:`joint_surprise`): said once for all of them, not
    repeated for each; "" when there are none."""
    if pairs <= 0:
        return ""
    which = (
        "the pair above that was not dissonant"
        if pairs == 1
        else f"the {number_word(pairs) if pairs <= 10 else pairs} pairs above that were not dissonant"
    )
    return (
        f"For {which}, whatever link there is between talk and outcome holds within the arms, not between "
        "them: the arms compare differently on what learners said than on what they reported."
    )


def outcome_design(change: Sequence[str], after: Sequence[str], min_change: str, adjusted_for_pre: bool) -> str:
    """Rule: what the survey's outcomes compare, stated from their definitions (fixed by
    the data contract): ``change`` are outcomes defined as a change within each learner
    from before to after the intervention (by at least ``min_change`` points), ``after``
    outcomes read after the intervention only; ``adjusted_for_pre`` when the adjusted
    models also took in each outcome's own pre-intervention value."""
    parts = []
    if change:
        noun = "outcome" if len(change) == 1 else "outcomes"
        verb = "is a change" if len(change) == 1 else "are changes"
        parts.append(
            f"{capitalise(join(change))} {verb} "
            f"within learners: the {noun} required each learner's score to rise by at least {min_change} points "
            "from before to after the intervention, and the arms were compared on that change"
        )
    if after:
        lead = "the other" if change else "the"
        many = f"{lead} {number_word(len(after))} outcomes ({join(after)})" if len(after) > 1 else join(after)
        text = f"{many} compare the arms after the intervention"
        if adjusted_for_pre:
            text += ", and the adjusted odds ratios also take in each learner's value before it"
        parts.append(text if change else capitalise(text))
    return capitalise("; ".join(parts)) + "." if parts else ""


def limitations(
    allocation: str,
    imbalanced: Sequence[tuple[str, str]],
    threshold: str,
    sites,
    qualitative: tuple[int, int] | None,
    synthetic: str = "",
    unjudged: Sequence[str] = (),
) -> str:
    """Rule: the Limitations paragraph, built from the study's description and the
    numbers, one sentence each: the allocation as reported (``allocation``, "not
    reported" when the description is silent); the baseline characteristics whose
    largest |SMD| over its levels reached ``threshold`` (``(label, printed |SMD|)``), or
    that there were none, and those whose balance could not be judged (``unjudged``);
    the number of ``sites`` (one site: the results come from a single setting); the
    learners in the qualitative data out of those analysed; that the outcomes are
    self-reported; and ``synthetic``, a sentence on synthetic data, when given."""
    text = []
    if allocation == NOT_REPORTED:
        text.append(
            "The study's description does not report how learners were allocated to the arms, so the "
            "differences between the arms cannot be attributed to the intervention on the design alone."
        )
    else:
        text.append(
            f"Learners were allocated to the arms as the study's description reports it: {allocation.rstrip('.')}. "
            "Whether the differences between the arms are effects of the intervention rests on that allocation."
        )
    if imbalanced:
        named = join(f"{label} (|SMD| {smd})" for label, smd in imbalanced)
        text.append(
            f"Before the intervention the arms differed, by an |SMD| of {threshold} or more, in {named}; the "
            "adjusted odds ratios account only for the covariates fixed before the analysis."
        )
    else:
        text.append(
            f"No baseline characteristic {'whose balance could be judged ' if unjudged else ''}differed between "
            f"the arms by an |SMD| of {threshold} or more."
        )
    if unjudged:
        text.append(f"Balance in {join(unjudged)} could not be judged (suppressed or missing cells).")
    if not missing(sites) and int(sites) == 1:
        text.append("All learners came from one site, so the results describe a single setting.")
    elif not missing(sites):
        text.append(f"The learners came from {int(sites)} sites.")
    if qualitative is not None:
        n, total = qualitative
        text.append(
            f"The qualitative data came from {n} of the {total} learners analysed; what they said need not "
            "represent the others."
        )
    text.append("The survey outcomes are self-reported.")
    if synthetic:
        text.append(synthetic)
    return " ".join(text)


def joint_summary(flagged: int, total: int, assessable: int | None = None) -> str:
    """Rule: the sentence that opens the discussion of the joint display: how many of its
    pairs are dissonant or surprising, or that none is. ``assessable`` counts the pairs
    that were judged (convergent, complementary or dissonant; default: all): the
    strands are said to agree only on pairs that were judged, and a display none of
    whose pairs could be judged says so instead."""
    if total == 0:
        return ""
    assessable = total if assessable is None else assessable
    if flagged == 0 and assessable == 0:
        return (
            f"{'The pair' if total == 1 else 'No pair'} of the joint display "
            f"{'could not' if total == 1 else 'could'} be judged by the rules stated with it in the Results, "
            "so these data cannot say whether the two strands of the study agree where they meet."
        )
    if flagged == 0 and assessable < total:
        return (
            f"No pair of the joint display was dissonant or surprising; {number_word(total - assessable)} of "
            f"its {total} pairs could not be judged by the rules stated with it in the Results, so the two "
            "strands agree only where they could be compared."
        )
    if flagged == 0:
        return (
            f"No pair of the joint display was dissonant, and in {'the' if total == 1 else 'every'} pair the arms "
            "compared alike on the talk and on the outcome, so the two strands of the study tell the same story "
            "where they meet."
        )
    return (
        f"{capitalise(number_word(flagged)) if flagged <= 10 else flagged} of the {total} pairs of the joint "
        f"display {'was' if flagged == 1 else 'were'} dissonant or surprising by the rules stated with it in "
        "the Results."
    )


def verification_headline(summary: dict, twin: bool) -> str:
    """The index page's sentence on the verification report.

    On the shipped synthetic study, whose data were written to reproduce the paper,
    the count of reproduced numbers is the headline. On any other data the published
    numbers belong to another study: the same count is a comparison ("within their
    rounding in these data"), not a failure count."""
    match, claims = int(summary.get("match", 0)), int(summary.get("claims", 0))
    if twin:
        return f"{match} of {claims} numbers printed in the paper are reproduced."
    return (
        f"Comparison with the original study: {match} of {claims} published numbers are within their rounding "
        "in these data. The original study's numbers describe other learners, so differences are expected; "
        "the report sets each one beside the value these data give."
    )
