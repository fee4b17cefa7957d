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

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geoprospect.batch.chunks import Chunk, ReadOptions
from geoprospect.batch.wkb import encode
from geoprospect.errors import ValidationFailed
from geoprospect.features.covariates import sample_rasters
from geoprospect.io.problems import Problem
from geoprospect.io.validate import MAX_MESSAGES_PER_RULE, normalise, validate
from geoprospect.pipeline import WHOLE_SET_COLUMNS, Valuation, score_rows
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
    problems: list  # errors of rejected rows, then warnings
    whole_set: np.ndarray | None = None  # NPV draws of the scored rows (only when asked)
    rows: np.ndarray | None = None  # 1-based row numbers (in the file) of the scored rows

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_scored


def score_chunk(chunk: Chunk, ctx: Context, *, drop: tuple[str, ...] = (),
                keep_whole_set: bool = False) -> ChunkResult:
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

    Returns
    -------
    ChunkResult

    Raises
    ------
    ValidationFailed
        A whole-file error (e.g. the required ``name`` column is missing): the file cannot be
        scored at all.
    """
    gdf = chunk.frame()
    norm, problems = validated(gdf, chunk.file)
    fatal = [p for p in problems if p.severity == "error" and p.row is None]
    if fatal:
        raise ValidationFailed(str(fatal[0]), problems)
    bad = np.unique([p.row for p in problems if p.severity == "error"]).astype(np.int64)
    good = ~np.isin(norm.index.to_numpy(), bad)
    ok = norm[good]
    n = len(gdf)
    if not len(ok):
        return ChunkResult(chunk.file, chunk.start, n, 0, None, problems, rows=np.zeros(0, np.int64))
    settings = ctx.settings
    covariates = sample_rasters(ok, dict(settings.rasters)) if settings.rasters else None
    rows = score_rows(ok, valuation=ctx.valuation, network=ctx.network, investor=settings.investor,
                      weights=dict(settings.weights) if settings.weights else None,
                      covariates=covariates, keep_draws=keep_whole_set)
    added = rows.columns
    raw = chunk.raw.take(np.flatnonzero(good))
    table = assemble(raw, ok.geometry.to_numpy(), added, drop=drop)
    return ChunkResult(chunk.file, chunk.start, n, len(ok), table, problems, rows.draws,
                       rows=ok.index.to_numpy(dtype=np.int64))


def validated(gdf, file: str):
    """:func:`~geoprospect.io.validate.normalise` + :func:`~geoprospect.io.validate.validate`, with
    every failing row named.

    ``validate`` names at most ``MAX_MESSAGES_PER_RULE`` rows per rule and summarises the rest;
    batch must know every rejected row, so a chunk that hits that cap is split in halves and
    each half validated again (every rule is per row). Duplicate ids cannot be checked across
    chunks, so in batch they are warnings (the row is scored) rather than errors.
    """
    norm, problems = validate(normalise(gdf, file=file), file=file)
    if len(gdf) > MAX_MESSAGES_PER_RULE and _capped(problems, MAX_MESSAGES_PER_RULE):
        half = len(gdf) // 2
        parts = []
        for part in (gdf.iloc[:half], gdf.iloc[half:]):
            lo, hi = part.index[0], part.index[-1]
            part = part.copy()
            part.attrs["problems"] = [p for p in gdf.attrs.get("problems", [])
                                      if (p.row is None and lo == gdf.index[0])
                                      or (p.row is not None and lo <= p.row <= hi)]
            part.attrs["source"] = file
            parts.append(validated(part, file))
        norm = pd.concat([parts[0][0], parts[1][0]])
        problems = parts[0][1] + [p for p in parts[1][1] if p.row is not None]
        return norm, problems
    problems = [replace(p, severity="warning") if _duplicate_id(p) else p for p in problems]
    return norm, problems


def _duplicate_id(p: Problem) -> bool:
    return p.field == "id" and p.severity == "error" and p.message.startswith("duplicate id")


def _capped(problems: list[Problem], cap: int) -> bool:
    if any(p.row is None and p.message.startswith("... and") for p in problems):
        return True
    counts: dict = {}
    for p in problems:
        if p.row is not None and p.severity == "error":
            counts[p.field] = counts.get(p.field, 0) + 1
    return any(v >= cap for v in counts.values())


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
