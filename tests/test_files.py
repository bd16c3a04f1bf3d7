"""Atomic writes: the old content or the new, and no temporary file left behind when the write fails."""

import os

import pytest

from labcheck.errors import UsageError
from labcheck.files import write_atomically


def test_a_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "out" / "report.json"
    write_atomically(target, "old")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_atomically(target, "old")

    def refuse(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UsageError, match=r"cannot write .*No space left on device"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
