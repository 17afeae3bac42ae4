"""Owner-only, atomic file writes and the workspace's secret key (certificates, pseudonyms)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
SECRET_FILE = "compliance/secret.key"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing and make it owner-only."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes | str, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` as a whole or not at all (temp file + ``os.replace``), mode 0o600.

    ``durable=False`` skips the ``fsync``: for many files that the caller flushes at once with ``os.sync()``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    return path


def workspace_key(root: Path, purpose: str) -> bytes:
    """A per-workspace key for ``purpose``, derived from a random secret made on first use (0o600)."""
    path = Path(root) / SECRET_FILE
    if not path.exists():
        private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
    secret = bytes.fromhex(path.read_text("ascii").strip())
    return hmac.new(secret, f"course-compliance:{purpose}".encode(), hashlib.sha256).digest()
