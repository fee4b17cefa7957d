"""The on-disk cache: ``$GEOPROSPECT_CACHE_DIR`` or the user cache folder (platformdirs).

Only derived, rebuildable data lives there (the sea-route matrix, compiled models, the country
grid), always as ``.npz`` files read with ``allow_pickle=False`` and written atomically. Every
entry carries the key of :func:`entry_key` — the code version, :data:`FORMAT` and the content
hashes and parameters it was built from — and :func:`read_npz` uses an entry only when its key is
the expected one: a missing, unreadable or stale entry (built by another version, or from other
inputs) is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
FORMAT = 1
"""Layout of the cache entries as a whole; part of every key, so bumping it rebuilds them all."""
KEY_FIELD = "cache_key"


def cache_dir() -> Path:
    """Where cached files live: ``$GEOPROSPECT_CACHE_DIR`` or platformdirs' user cache dir."""
    env = os.environ.get("GEOPROSPECT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("geoprospect"))


def entry_key(kind: str, **inputs) -> str:
    """The key a cache entry must carry to be used.

    SHA-256 of ``geoprospect.__version__``, :data:`FORMAT`, ``kind`` and ``inputs``: what the
    entry is built from — content hashes of its source files and its parameters (JSON-able).
    """
    import geoprospect

    payload = {"version": geoprospect.__version__, "format": FORMAT, "kind": kind, "inputs": inputs}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def read_npz(target: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of the entry ``target`` when it carries ``key``; None when it is missing,
    unreadable or stale (the caller rebuilds it)."""
    try:
        with np.load(target, allow_pickle=False) as z:
            if KEY_FIELD not in z.files or str(z[KEY_FIELD]) != key:
                log.info("ignoring stale cache %s (other version or inputs)", target)
                return None
            return {k: z[k] for k in z.files if k != KEY_FIELD}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable cache %s (%s)", target, exc)
        return None


def write_npz(target: Path, key: str, **arrays: np.ndarray) -> bool:
    """Write arrays and their ``key`` to ``target`` atomically (compressed); False, with a logged
    warning, when the cache cannot be written (read-only home ...): the caller goes on without it."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.npz")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, **arrays, **{KEY_FIELD: np.array(key)})
        os.replace(tmp, target)
        return True
    except OSError as exc:
        log.warning("could not write cache %s (%s)", target, exc)
        try:
            tmp.unlink()
        except OSError:
            pass
        return False


def file_sha256(path) -> str:
    """SHA-256 hex digest of a file's bytes (the model hash recorded with every output)."""
    from pathlib import Path

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
