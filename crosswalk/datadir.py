"""The data directory: one folder holds the raw archive, the database, the reports and Prefect.

Everything a run writes goes under it, so it is checked before a run starts: a folder that
cannot be created or written (a read-only disk or folder, a path through a file, /dev/null) is
refused with exit code 2, the path and what to do, instead of a traceback half-way through a
run. `refusal` turns any file-system error into that kind of message; the CLI uses it for the
errors no check could foresee (a disk that fills up mid-run).
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from crosswalk.errors import BadInput
from crosswalk.settings import Settings

CHOOSE_ANOTHER = "give another --data-dir (or CROSSWALK_DATA_DIR)"
ADVICE = {
    errno.EACCES: f"permission denied: {CHOOSE_ANOTHER}, or let this user write there",
    errno.EPERM: f"not permitted: {CHOOSE_ANOTHER}, or let this user write there",
    errno.EROFS: f"the file system is read-only: {CHOOSE_ANOTHER} on a writable disk",
    errno.ENOTDIR: f"part of the path is a file, not a folder: {CHOOSE_ANOTHER}",
    errno.EEXIST: f"it exists and is not a folder: {CHOOSE_ANOTHER}",
    errno.ENOSPC: "the disk is full: free some space, or move the data directory (--data-dir)",
    errno.EDQUOT: "the disk quota is used up: free some space, or move the data directory",
    errno.ENAMETOOLONG: "a name in the path is too long for the file system: use a shorter path",
}
FILE_SYSTEM_ERRORS = frozenset(ADVICE)


def prepare(settings: Settings) -> Path:
    """Create the data directory if needed and prove a file can be written in it."""
    folder = settings.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as error:
        raise refusal(error, folder) from error
    return folder


def refusal(error: OSError, where: Path | str | None = None) -> BadInput:
    """A file-system error as a message naming the path (`where`, else the error's own
    file name) and what to do (exit code 2)."""
    path = where if where is not None else error.filename
    advice = ADVICE.get(error.errno or 0, error.strerror or str(error))
    return BadInput(f"cannot write here: {advice}", file=str(path) if path else None)


def is_file_system_error(error: BaseException) -> bool:
    """An OSError about a path that `refusal` can explain (not a network error: requests'
    errors are OSErrors too)."""
    return isinstance(error, OSError) and error.errno in FILE_SYSTEM_ERRORS
