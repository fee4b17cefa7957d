"""The per-chunk scoring function both engines run: validate, then the one pipeline
(:func:`geoprospect.pipeline.score_rows`: features, valuation, transparent view, flags).

:func:`score_chunk` takes one :class:`~geoprospect.batch.chunks.Chunk` and returns an Arrow
table: the chunk's input columns exactly as read (rows that failed validation left out), the
geometry (WKB, EPSG:4326) and the per-row columns ``geoprospect rank`` writes (feature report
columns, ``score``, pillar scores, ``mcda_score``, contributions, ``drivers``, ``flags``). Every
step is vectorised over the chunk, and each output row depends on its own input row only, so
any chunking (and the dask engine) gives identical rows.

The model and the route network are built once per process (:func:`context`), never per chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoprospect.batch.chunks import Chunk, ReadOptions
from geoprospect.batch.wkb import encode
from geoprospect.errors import ValidationFailed
from geoprospect.features.covariates import sample_rasters
from geoprospect.io.findings import Findings
from geoprospect.io.validate import check, normalise
from geoprospect.pipeline import PROGRESS_ROWS, WHOLE_SET_COLUMNS, ScoredRows, Valuation, score_in_slices
from geoprospect.routes.scenario import Scenario

__all__ = ["WHOLE_SET_COLUMNS", "ChunkResult", "Context", "Settings", "context", "score_chunk"]

GEOMETRY = "geometry"



@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to score a chunk; small and picklable (sent to dask workers).

    Attributes
    ----------
    model_path : str or None
        A valuation ``.skops`` model; the bundled one when None.
    scenario : Scenario
        Route scenario (the bundled one by default).
    investor : str
        Investor profile name or file (flags; the scenario carries it for routes).
    weights : tuple of (str, float), optional
        Pillar weights of the transparent view (``score`` becomes the weighted score).
    rasters : tuple of (str, str)
        Covariate rasters ``(NAME, PATH)`` sampled at every row (reported beside the value).
    price_scenario, ndpr_price, discount_rate : str, float, float
        The valuation's price scenario, NdPr price override and base real rate (None: default).
    value_draws : int
        Monte Carlo draws of every row's NPV band.
    read : ReadOptions
        ``--layer``, ``--crs``, ``--encoding``.
    chunk_size : int
        Rows per chunk.
    """

    model_path: str | None = None
    scenario: Scenario = field(default_factory=Scenario)
    investor: str = "irel"
    weights: tuple | None = None
    rasters: tuple = ()
    price_scenario: str | None = None
    ndpr_price: float | None = None
    discount_rate: float | None = None
    value_draws: int = 100
    read: ReadOptions = field(default_factory=ReadOptions)
    chunk_size: int = 100_000


@dataclass
class Context:
    """What scoring needs, built once per process."""

    valuation: Valuation
    network: object
    settings: Settings


_CONTEXTS: dict = {}


def context(settings: Settings) -> Context:
    """The valuation and route network for ``settings``, loaded once per process and cached.

    Raises
    ------
    ModelError, LayerError
        Unreadable model; unknown price scenario or a bad price / rate (with the option).
    """
    key = (settings.model_path, settings.scenario, settings.price_scenario, settings.ndpr_price,
           settings.discount_rate, settings.value_draws)
    if key not in _CONTEXTS:
        valuation = Valuation.load(settings.model_path, price_scenario_name=settings.price_scenario,
                                   ndpr_price=settings.ndpr_price, discount_rate=settings.discount_rate,
                                   draws=settings.value_draws)
        _CONTEXTS[key] = Context(valuation, settings.scenario.network(), settings)
    ctx = _CONTEXTS[key]
    return ctx if ctx.settings == settings else Context(ctx.valuation, ctx.network, settings)


@dataclass
class ChunkResult:
    """The outcome of scoring one chunk."""

    file: str
    start: int
    rows_read: int
    rows_scored: int
    table: object  # pyarrow.Table, None when no row was scored
    findings: Findings  # every problem of the chunk, as arrays (messages built when shown)
    whole_set: np.ndarray | None = None  # NPV draws of the scored rows (only when asked)
    rows: np.ndarray | None = None  # 1-based row numbers (in the file) of the scored rows

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_scored


def score_chunk(chunk: Chunk, ctx: Context, *, drop: tuple[str, ...] = (),
                keep_whole_set: bool = False, progress: Callable[[int], None] | None = None
                ) -> ChunkResult:
    """Validate and score one chunk.

    Parameters
    ----------
    chunk : Chunk
    ctx : Context
        From :func:`context`.
    drop : tuple of str
        Input columns left out of the output (they clash with an output column).
    keep_whole_set : bool
        Also return the NPV of every scored row and draw (``--uncertainty``: P(top-10)).
    progress : callable, optional
        Called with a number of rows each time rows are done (rejected rows as soon as they
        are known, scored rows slice by slice, :data:`PROGRESS_ROWS` at a time).

    Returns
    -------
    ChunkResult

    Raises
    ------
    ValidationFailed
        A whole-file error (e.g. a mapped column is missing): the file cannot be scored.
    """
    gdf = chunk.frame()
    norm, findings = validated(gdf, chunk.file, ctx.settings.read.columns)
    fatal = findings.fatal()
    if fatal:
        raise ValidationFailed(str(fatal[0]), fatal)
    good = ~np.isin(norm.index.to_numpy(), findings.error_rows(), assume_unique=True)
    ok = norm[good] if not good.all() else norm
    n = len(gdf)
    if progress is not None and n > len(ok):
        progress(n - len(ok))
    if not len(ok):
        return ChunkResult(chunk.file, chunk.start, n, 0, None, findings, rows=np.zeros(0, np.int64))
    rows = _scored(ok, ctx, keep_whole_set, progress)
    raw = chunk.raw if good.all() else chunk.raw.take(np.flatnonzero(good))
    table = assemble(raw, ok.geometry.to_numpy(), rows.columns, drop=drop)
    return ChunkResult(chunk.file, chunk.start, n, len(ok), table, findings, rows.draws,
                       rows=ok.index.to_numpy(dtype=np.int64))


def _scored(ok, ctx: Context, keep_whole_set: bool, progress) -> ScoredRows:
    """:func:`geoprospect.pipeline.score_rows` on the valid rows, in slices when progress is
    reported (the rows are the same either way)."""
    settings = ctx.settings
    covariates = sample_rasters(ok, dict(settings.rasters)) if settings.rasters else None
    return score_in_slices(ok, rows_per_slice=PROGRESS_ROWS if progress else len(ok), progress=progress,
                           valuation=ctx.valuation, network=ctx.network, investor=settings.investor,
                           weights=dict(settings.weights) if settings.weights else None,
                           covariates=covariates, keep_draws=keep_whole_set)


def validated(gdf, file: str, columns=None):
    """:func:`~geoprospect.io.validate.normalise` + :func:`~geoprospect.io.validate.check` of one
    chunk: every failing row is in the findings' arrays (no cap, no second pass). Duplicate ids
    cannot be checked across chunks, so in batch they are warnings (the row is scored)."""
    norm, findings = check(normalise(gdf, file=file, columns=columns), file=file)
    findings.demote("id.duplicate")
    return norm, findings


def assemble(raw, geometry: np.ndarray, added: pd.DataFrame, *, drop: tuple[str, ...] = ()):
    """Input columns (as read) + WKB geometry + the added columns, as one Arrow table."""
    import pyarrow as pa

    names = [c for c in raw.column_names if c not in drop and c != GEOMETRY and c not in added.columns]
    arrays = [raw.column(c) for c in names]
    arrays.append(encode(geometry))
    names.append(GEOMETRY)
    for col in added.columns:
        arrays.append(to_arrow(added[col]))
        names.append(col)
    return pa.Table.from_arrays(arrays, names=names)


def to_arrow(series: pd.Series):
    """One added column with a type that depends on the code, not the data (stable schema)."""
    import pyarrow as pa

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pa.array(series.to_numpy(dtype=bool), type=pa.bool_())
    if pd.api.types.is_integer_dtype(dtype):
        return pa.array(series.to_numpy(dtype="float64", na_value=np.nan), type=pa.float64(),
                        from_pandas=True).cast(pa.int64())
    if pd.api.types.is_numeric_dtype(dtype):
        return pa.array(series.to_numpy(dtype=float, na_value=np.nan), type=pa.float64(),
                        from_pandas=True)
    # text: each distinct value converted once, then taken by code (missing -> null)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    labels = pa.array([str(u) for u in uniques], type=pa.string())
    return labels.take(pa.array(codes, mask=codes < 0))
