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
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8", newline=""
        ) as handle:
            temporary = Path(handle.name)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    finally:  # interrupted or failed: no half-written temporary file is left behind
        if temporary is not None:
            temporary.unlink(missing_ok=True)
