"""Progress bars only where someone is watching; the no-op fingerprint."""

from __future__ import annotations

import os

from compendium.core import feedback
from compendium.pipeline.reproduce import fingerprint


def test_progress_is_silent_off_a_terminal(monkeypatch):
    items = list(range(1000))
    assert feedback.progress(items, "x") is items  # pytest captures stderr: not a terminal


def test_progress_shows_a_bar_on_a_terminal(monkeypatch):
    monkeypatch.setattr(feedback, "interactive", lambda: True)
    bar = feedback.progress(list(range(1000)), "x")
    assert type(bar).__name__ == "tqdm"
    assert feedback.progress(list(range(10)), "x") == list(range(10))  # too short to bother


def test_fingerprint_follows_size_and_mtime(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / ".venv").mkdir()
    first = fingerprint(tmp_path)
    (tmp_path / ".venv" / "ignored").write_text("x")
    assert fingerprint(tmp_path) == first
    os.utime(tmp_path / "a.txt", ns=(1, 1))
    assert fingerprint(tmp_path) != first
