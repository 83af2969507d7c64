"""Withdrawal erases: once a learner withdraws and the pipeline reruns, nothing they
said or wrote is left anywhere in the project but ``data/raw/`` (and git's history).

The project is a scratch copy with a pristine synthetic ``data/raw/`` generated on the
fly, so the test holds whatever data sit in the working copy's ``data/raw/``.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_pipeline import make_copy, run, run_dvc

pytestmark = pytest.mark.pipeline

WORDS = re.compile(r"[^\W_]+")
# data/raw/ keeps the learner by design; src/ holds the generator's sentence banks, the
# source of the synthetic text (not a copy of anyone's data); .git/ is history.
SKIP = ("data/raw/", ".git/", "src/compendium/synthesize/")


def _norm(text: str) -> str:
    return " ".join(WORDS.findall(html.unescape(text).lower()))


def _text(path: Path, project: Path) -> str:
    """A file's text as a reader would find it: Parquet tables (DVC caches them as
    plain files) through pyarrow, the archives and PDF under reports/ through the
    leak audit's reader, everything else as bytes decoded."""
    from compendium.checks.audit import text_of

    data = path.read_bytes()
    if data[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return "\n".join(str(v) for col in table.columns for v in col.to_pylist())
    if path.relative_to(project).parts[0] == "reports":
        return text_of(path) or ""
    return data.decode("utf-8", errors="replace")


def _where(project: Path, sentences: list[str]) -> dict[str, list[str]]:
    """Project-relative files (data/raw/ and .git/ aside) holding any of ``sentences``."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        rel = path.relative_to(project).as_posix()
        if rel.startswith(SKIP):
            continue
        text = _norm(_text(path, project))
        hits = [s for s in sentences if s in text]
        if hits:
            found[rel] = hits
    return found


def _pick_learner(raw: Path) -> tuple[str, list[str]]:
    """A learner who speaks in an interview and authored a document, with the
    sentences of theirs (six words or more) that nobody else's text contains."""
    from compendium.data.contract import load_study

    study = load_study(raw, consensus_coder="coder_a")
    units = study.units.merge(study.sources[["source_id", "type", "participants"]], on="source_id")
    interviewed = set(units.loc[units["type"] == "interview", "speaker"])
    authors = {p for ps in study.sources.loc[study.sources["type"] == "document", "participants"] for p in ps}
    candidates = sorted(interviewed & authors)
    assert candidates, "the generated data have no learner who was interviewed and wrote a document"
    for pid in candidates:
        docs = set(
            study.sources.loc[
                (study.sources["type"] == "document") & study.sources["participants"].map(lambda ps, p=pid: p in ps),
                "source_id",
            ]
        )
        theirs = (units["speaker"] == pid) | units["source_id"].isin(docs)
        others = _norm("\n".join(units.loc[~theirs, "text"]))
        said = re.split(r"(?<=[.!?])\s+", "\n".join(units.loc[theirs, "text"]))
        own = sorted({s for s in map(_norm, said) if len(s.split()) >= 6 and s not in others})
        spoke = _norm("\n".join(units.loc[units["speaker"] == pid, "text"]))
        wrote = _norm("\n".join(units.loc[units["source_id"].isin(docs), "text"]))
        if any(s in spoke for s in own) and any(s in wrote for s in own):
            return pid, own
    raise AssertionError("no interviewed document author has sentences of their own in both")


def test_a_withdrawn_learner_leaves_no_trace_but_in_raw(root, tmp_path):
    from compendium.synthesize import synthesize

    project = make_copy(root, tmp_path / "compendium")
    raw = project / "data" / "raw"
    shutil.rmtree(raw)
    synthesize(raw, truth_dir=project / "data" / "synthetic")  # pristine shipped twin
    first = run(project, "reproduce")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    pid, sentences = _pick_learner(raw)

    # the search can fail: before withdrawal the learner's words are in data/interim/ and DVC's cache
    before = _where(project, sentences)
    assert any(f.startswith(".dvc/cache/") for f in before), sorted(before)
    assert any(f.startswith("data/interim/") for f in before), sorted(before)

    participants = pd.read_csv(raw / "participants.csv", dtype=str, keep_default_na=False)
    assert (participants["participant_id"] == pid).sum() == 1
    participants.loc[participants["participant_id"] == pid, "consent"] = "withdrawn"
    (raw / "participants.csv").write_text(participants.to_csv(index=False, lineterminator="\n"))
    second = run(project, "reproduce")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    assert _where(project, sentences) == {}
    from compendium.checks.audit import text_of

    in_reports = [
        p.relative_to(project).as_posix()
        for p in sorted((project / "reports").rglob("*"))
        if p.is_file() and re.search(rf"(?<![\w]){re.escape(pid)}(?![\w])", text_of(p) or "")
    ]
    assert in_reports == []
    # the current run's outputs stay available: DVC sees nothing to do
    status = run_dvc(project, "status")
    assert status.returncode == 0 and "up to date" in status.stdout, status.stdout + status.stderr
