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
        parts.append(f"it changed the odds ratio by {100 * OR_CHANGE:g}% or more for {join(moved)}")
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
