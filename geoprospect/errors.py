"""One exception tree for geoprospect.

Every expected failure raises a subclass of :class:`GeoprospectError`. Each subclass also
derives from the builtin exception that fits it (the rasterio convention), so callers can
catch ``ValueError`` or ``OSError`` without knowing geoprospect's types. The CLI turns any
``GeoprospectError`` into one line on stderr and exit code 2; anything else is a bug (exit 1).
"""

from __future__ import annotations


class GeoprospectError(Exception):
    """Base class of every expected geoprospect failure.

    Parameters
    ----------
    *args
        The message (one line).
    option : str, optional
        The parameter the error concerns (``"weights"``, ``"raster"``); the library never
        names a CLI flag, the CLI adds the hint (``--weights: ...``).
    """

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option


class LayerError(GeoprospectError, ValueError):
    """A layer cannot be read or does not fit the schema (bad file, column, value, CRS)."""


class CRSError(LayerError):
    """A layer's coordinate reference system is missing, unknown or inconsistent."""


class OutputError(GeoprospectError, OSError):
    """An output cannot be written (exists without --overwrite, unknown format, disk)."""


class ModelError(GeoprospectError, ValueError):
    """A model file is missing, untrusted, incompatible or was used with wrong inputs."""


class RouteError(GeoprospectError, ValueError):
    """No processing route can be built for the request (no port, no compatible plant)."""


class RasterError(GeoprospectError, ValueError):
    """A covariate raster cannot be read or does not cover what it must."""


class ValidationFailed(LayerError):
    """A layer has validation errors; ``problems`` holds every one of them."""

    def __init__(self, message: str, problems: list | None = None, *,
                 option: str | None = None) -> None:
        super().__init__(message, option=option)
        self.problems = problems or []


class WorkerError(GeoprospectError, RuntimeError):
    """A worker process of the local engine died (killed by the OOM killer, say)."""


class DatabaseError(GeoprospectError, OSError):
    """A database cannot be used: the server is unreachable, the credentials are refused, the
    database lacks PostGIS, or a statement failed. Messages never contain a password."""
