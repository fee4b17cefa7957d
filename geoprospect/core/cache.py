"""The on-disk cache: ``$GEOPROSPECT_CACHE_DIR`` or the user cache folder (platformdirs).

Only derived, rebuildable data lives there (the sea-route matrix, compiled models), always as
``.npz`` files read with ``allow_pickle=False`` and written atomically; a missing, stale or
unreadable entry is rebuilt, never trusted.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where cached files live: ``$GEOPROSPECT_CACHE_DIR`` or platformdirs' user cache dir."""
    env = os.environ.get("GEOPROSPECT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("geoprospect"))


def write_npz(target: Path, **arrays: np.ndarray) -> bool:
    """Write arrays to ``target`` atomically (compressed); False, with a logged warning, when
    the cache cannot be written (read-only home ...): the caller goes on without it."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.npz")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, target)
        return True
    except OSError as exc:
        log.warning("could not write cache %s (%s)", target, exc)
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
