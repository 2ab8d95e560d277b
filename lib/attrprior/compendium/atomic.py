"""Write a file so that a reader finds either the old content or the new one, never half a file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable


def write_atomic(path: Path | str, write: Callable[[IO[Any]], None], binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temp file in ``path``'s folder, then rename it to ``path``. On any error
    the temp file is removed and ``path`` is left as it was. The file gets the usual permissions
    (``mkstemp`` would leave it readable by its owner only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["write_atomic"]
