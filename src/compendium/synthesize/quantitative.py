"""Synthetic learners and survey answers that reproduce the published tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import design

OUTCOMES = ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support")


def _labels(counts: dict[str, int], scale: int, rng: np.random.Generator) -> np.ndarray:
    values = np.concatenate([np.repeat(label, n * scale) for label, n in counts.items()])
    return rng.permutation(values)


def integer_ages(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    """Whole-year ages whose mean is exactly ``mean`` (to the paper's one decimal,
    when ``n * mean`` is whole) and whose SD rounds to ``sd``."""
    ages = np.clip(np.rint(rng.normal(mean, sd, n)), 19, 45).astype(int)
    target = int(round(mean * n))
    while ages.sum() != target:
        step = 1 if ages.sum() < target else -1
        i = rng.integers(n)
        if 19 <= ages[i] + step <= 45:
            ages[i] += step
    for _ in range(100 * n):
        current = ages.std(ddof=1)
        if abs(current - sd) < 0.02:
            break
        centre = ages.mean()
        if current < sd:  # spread out: move one above-mean value up and one below-mean down
            up = rng.choice(np.flatnonzero(ages >= centre))
            down = rng.choice(np.flatnonzero(ages <= centre))
            if up != down and ages[up] < 45 and ages[down] > 19:
                ages[up] += 1
                ages[down] -= 1
        else:  # pull in
            hi = np.flatnonzero(ages > centre + 1)
            lo = np.flatnonzero(ages < centre - 1)
            if len(hi) and len(lo):
                ages[rng.choice(hi)] -= 1
                ages[rng.choice(lo)] += 1
    else:  # pragma: no cover - the loop converges for every design used here
        raise RuntimeError("could not match the target age SD")
    return ages


def _pick(rng: np.random.Generator, n: int, k: int, weights: np.ndarray) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    if k:
        flags[rng.choice(n, size=k, replace=False, p=weights / weights.sum())] = True
    return flags


def _items_around(rng: np.random.Generator, k: int, level: float, high: int = 5) -> np.ndarray:
    """k Likert answers scattered around a learner's latent ``level``: items of one
    scale share the level, so they correlate as the items of a real scale do."""
    return np.clip(np.rint(level + rng.normal(0, 0.55, k)), 1, high).astype(int)


def _items_with_sum(rng: np.random.Generator, k: int, total: int) -> np.ndarray:
    """k Likert answers (1-5) around their mean, adding up to exactly ``total``."""
    items = _items_around(rng, k, total / k)
    return _shift(rng, items, total - int(items.sum()))


def _shift(rng: np.random.Generator, items: np.ndarray, delta: int) -> np.ndarray:
    """Move the item sum by ``delta`` one step at a time, staying within 1-5."""
    items = items.copy()
    step = 1 if delta > 0 else -1
    for _ in range(abs(delta)):
        movable = np.flatnonzero(items < 5) if step > 0 else np.flatnonzero(items > 1)
        if not len(movable):
            break
        items[rng.choice(movable)] += step
    return items


def _survey_rows(
    rng: np.random.Generator, pid: str, flags: dict[str, bool], activism: bool, with_post: bool
) -> list[dict]:
    k, m = design.CC_ITEMS, design.SUPPORT_ITEMS
    pre_cc = _items_around(rng, k, rng.normal(2.8, 0.55), high=4)  # room to grow at post
    if flags["increased_cultural_competence"]:
        delta = int(rng.integers(4, 9))  # mean change 0.67 to 1.33
    else:
        delta = int(rng.integers(-2, 3))  # mean change -0.33 to 0.33
    post_cc = _shift(rng, pre_cc, delta)
    if flags["increased_cultural_competence"] and post_cc.sum() - pre_cc.sum() < 4:
        raise RuntimeError("internal: not enough room for a cultural-competence increase")
    pre_support = _items_around(rng, m, rng.normal(2.9, 0.6))
    post_total = int(rng.integers(4 * m, 5 * m + 1)) if flags["perceived_support"] else int(rng.integers(2 * m, 4 * m))
    post_support = _items_with_sum(rng, m, post_total)

    def yn(value: bool) -> str:
        return "yes" if value else "no"

    def row(wave: str, cc: np.ndarray, support: np.ndarray, part: bool, lead: bool) -> dict:
        r: dict[str, object] = {"participant_id": pid, "wave": wave}
        r.update({f"cc_{i + 1}": int(v) for i, v in enumerate(cc)})
        r.update({"participation": yn(part), "leadership": yn(lead)})
        r.update({f"support_{i + 1}": int(v) for i, v in enumerate(support)})
        return r

    rows = [row("pre", pre_cc, pre_support, activism and rng.random() < 0.5, activism and rng.random() < 0.2)]
    if with_post:
        rows.append(row("post", post_cc, post_support, flags["active_participation"], flags["leadership_role"]))
    return rows


def build_learners(rng: np.random.Generator, *, scale: int, sites: int):
    """participants.csv and survey.csv frames, plus a per-learner frame for the
    qualitative generator (arm, consent and outcome flags)."""
    people = []
    for arm, spec in design.ARMS.items():
        n = design.ARM_SIZE * scale
        gender = _labels(spec["gender"], scale, rng)
        ethnicity = _labels(spec["ethnicity"], scale, rng)
        age = integer_ages(rng, n, spec["age_mean"], spec["age_sd"])
        activism = (
            _labels({"yes": spec["previous_activism"], "no": design.ARM_SIZE - spec["previous_activism"]}, scale, rng)
            == "yes"
        )
        flags = {}
        for outcome in OUTCOMES:
            weights = np.ones(n)
            if outcome in ("active_participation", "leadership_role"):
                weights = weights + 1.5 * activism  # prior activists engage more
            flags[outcome] = _pick(rng, n, spec["events"][outcome] * scale, weights)
        for i in range(n):
            people.append(
                {
                    "group": arm,
                    "gender": gender[i],
                    "ethnicity": ethnicity[i],
                    "age": int(age[i]),
                    "previous_activism": bool(activism[i]),
                    "consent": "given",
                    "post": True,
                    **{o: bool(flags[o][i]) for o in OUTCOMES},
                }
            )
        for j in range(design.WITHDRAWN_PER_ARM * scale):
            people.append(
                {
                    "group": arm,
                    "gender": rng.choice(list(spec["gender"])),
                    "ethnicity": rng.choice(list(spec["ethnicity"])),
                    "age": int(rng.integers(22, 34)),
                    "previous_activism": bool(rng.random() < 0.3),
                    "consent": "withdrawn",
                    "post": j % 2 == 0,
                    **{o: bool(rng.random() < 0.4) for o in OUTCOMES},
                }
            )
    learners = pd.DataFrame(people)
    order = rng.permutation(len(learners))
    width = max(4, len(str(len(learners))))
    learners = learners.iloc[order].reset_index(drop=True)
    learners.insert(0, "participant_id", [f"L{i + 1:0{width}d}" for i in range(len(learners))])
    if sites > 1:
        site = np.empty(len(learners), dtype=object)
        for arm in design.ARMS:
            idx = np.flatnonzero(learners["group"].to_numpy() == arm)
            site[idx] = [f"site_{(k % sites) + 1}" for k in range(len(idx))]
            site[idx] = rng.permutation(site[idx])
        learners.insert(1, "site", site)

    columns = (
        ["participant_id"]
        + (["site"] if sites > 1 else [])
        + ["group", "gender", "ethnicity", "age", "previous_activism", "consent"]
    )
    participants = learners[columns].copy()
    participants["previous_activism"] = participants["previous_activism"].map({True: "yes", False: "no"})

    rows = []
    from compendium.core.feedback import progress

    for r in progress(learners.itertuples(index=False), "writing survey answers", total=len(learners)):
        answers = {o: getattr(r, o) for o in OUTCOMES}
        rows.extend(_survey_rows(rng, r.participant_id, answers, r.previous_activism, r.post))
    survey = pd.DataFrame(rows)
    cc = [f"cc_{i + 1}" for i in range(design.CC_ITEMS)]
    sup = [f"support_{i + 1}" for i in range(design.SUPPORT_ITEMS)]
    survey = survey[["participant_id", "wave", *cc, "participation", "leadership", *sup]]
    participants = participants.sort_values("participant_id", kind="stable").reset_index(drop=True)
    survey = survey.sort_values(
        ["participant_id", "wave"],
        key=lambda s: s.map({"pre": 0, "post": 1}).fillna(0) if s.name == "wave" else s,
        kind="stable",
    ).reset_index(drop=True)
    return participants, survey, learners
