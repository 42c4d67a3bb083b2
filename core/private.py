"""What citewise keeps on disk is the user's alone: its folders are 0700 and the files it writes 0600."""

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create `path` (and any missing parents) as 0700; an existing one of this user's that others can
    enter is narrowed to 0700 too. Returns `path`."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    info = path.stat()
    ours = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if ours and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(FOLDER_MODE)
    return path
