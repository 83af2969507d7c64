"""A replication team's data set, written to the contract but unlike the shipped one:
other arm labels and sizes, unequal arms, three sites, missing items, mixed-case
yes/no values, a byte-order mark and CRLF line ends, withdrawn learners, learners
without a post wave, and a leadership outcome sparse enough to need Fisher's test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compendium.synthesize import synthesize

ARMS = ("usual_care", "programme")


def make_replication_data(
    dest: Path, seed: int = 11, scale: int = 2, sites: int = 3, truth_dir: Path | None = None, describe: bool = False
) -> Path:
    """Write the replication team's data to ``dest``. The generator's truth (what it
    planted in the sources) goes to ``truth_dir`` when given. The data carry no
    synthetic marker; with ``describe`` they carry a ``dataset.yaml`` that names their
    arm labels and nothing else, as a team's own study description would."""
    synthesize(dest, seed=seed, scale=scale, sites=sites, truth_dir=truth_dir)
    (dest / "dataset.yaml").unlink()  # a team's own data carry no synthetic marker
    (dest / "README.md").unlink()
    if describe:
        (dest / "dataset.yaml").write_text(f"arms:\n  control: {ARMS[0]}\n  intervention: {ARMS[1]}\n")
    rng = np.random.default_rng(seed)
    p = pd.read_csv(dest / "participants.csv", dtype=str, keep_default_na=False)
    s = pd.read_csv(dest / "survey.csv", dtype=str, keep_default_na=False)

    control = p.index[p["group"] == "control"]
    p.loc[rng.choice(control, 40, replace=False), "group"] = "intervention"
    p["group"] = p["group"].map({"control": ARMS[0], "intervention": ARMS[1]})
    p.loc[rng.choice(p.index, 5, replace=False), "age"] = ""

    given = p.loc[p["consent"] == "given", "participant_id"].to_numpy()
    no_post = set(rng.choice(given, 12, replace=False))
    s = s[~((s["wave"] == "post") & s["participant_id"].isin(no_post))].copy()
    post = s.index[s["wave"] == "post"]
    s.loc[rng.choice(post, 15, replace=False), "cc_3"] = ""
    s.loc[rng.choice(post, 10, replace=False), "support_2"] = ""
    s.loc[rng.choice(post, 6, replace=False), "participation"] = ""

    arm = s["participant_id"].map(dict(zip(p["participant_id"], p["group"])))
    s.loc[post, "leadership"] = "no"
    for label, k in ((ARMS[0], 2), (ARMS[1], 6)):
        rows = s.index[(s["wave"] == "post") & (arm == label)]
        s.loc[rng.choice(rows, k, replace=False), "leadership"] = "yes"

    spellings = {"yes": ["Yes", "YES", "y", "TRUE", "1", "yes"], "no": ["No", "NO", "n", "false", "0", "no"]}
    for col in ("participation", "leadership"):
        s[col] = [str(rng.choice(spellings[v])) if v else "" for v in s[col]]
    p["previous_activism"] = [str(rng.choice(spellings[v])) for v in p["previous_activism"]]

    text = p.to_csv(index=False, lineterminator="\r\n")
    (dest / "participants.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (dest / "survey.csv").write_text(s.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return dest


def expected_table2(
    raw: Path, cc_min: float = 0.5, support_min: float = 4.0, arms: tuple[str, str] = ARMS
) -> pd.DataFrame:
    """Table 2's counts, computed independently of the package from the CSV files
    (``arms``: the control and intervention labels)."""
    yes = {"yes", "true", "1", "y"}
    p = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    s = pd.read_csv(raw / "survey.csv", dtype=str, keep_default_na=False)
    p = p[p["consent"].str.lower() == "given"]
    s = s[s["participant_id"].isin(p["participant_id"])]
    arm = dict(zip(p["participant_id"], p["group"]))
    cc = [c for c in s.columns if c.startswith("cc_")]
    sup = [c for c in s.columns if c.startswith("support_")]
    rows = {}
    for pid in p["participant_id"]:
        pre = s[(s["participant_id"] == pid) & (s["wave"] == "pre")]
        post = s[(s["participant_id"] == pid) & (s["wave"] == "post")]
        r = {"arm": arm[pid]}
        if len(post):
            q = post.iloc[0]
            if len(pre) and all(pre.iloc[0][c] for c in cc) and all(q[c] for c in cc):
                change = sum(int(q[c]) for c in cc) / len(cc) - sum(int(pre.iloc[0][c]) for c in cc) / len(cc)
                r["increased_cultural_competence"] = change >= cc_min - 1e-9
            if q["participation"]:
                r["active_participation"] = q["participation"].lower() in yes
            if q["leadership"]:
                r["leadership_role"] = q["leadership"].lower() in yes
            if all(q[c] for c in sup):
                r["perceived_support"] = sum(int(q[c]) for c in sup) / len(sup) >= support_min
        rows[pid] = r
    frame = pd.DataFrame.from_dict(rows, orient="index")
    out = []
    for outcome in ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support"):
        d = frame.dropna(subset=[outcome])
        rec = {"outcome": outcome}
        for label, prefix in ((arms[0], "control"), (arms[1], "intervention")):
            g = d[d["arm"] == label][outcome].astype(bool)
            rec[f"{prefix}_events"], rec[f"{prefix}_n"] = int(g.sum()), int(len(g))
        out.append(rec)
    return pd.DataFrame(out)
