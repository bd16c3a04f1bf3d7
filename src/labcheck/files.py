"""Writing output files so that a reader, or a crash, never sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from labcheck.errors import UsageError


def write_atomically(path: Path, text: str) -> None:
    """Replace a file in one step: readers see the old content or the new, never part of it.

    Args:
        path: The file to write; its directory is created if missing.
        text: The new content.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
