"""The one scoring pipeline: per-row scores, then whole-set rank, bands and sensitivity.

Every caller (``geoprospect rank``, ``score`` on the local and dask engines, ``map``,
``surface`` and the Python API) runs the same two functions:

* :func:`score_rows` — features -> screening valuation (NPV band, pillars in USD) ->
  transparent view -> flags. A row's columns depend on that row plus frozen tables and models
  (its Monte Carlo draws are keyed by its id), so chunked, parallel and dask runs give the same
  numbers as a whole-file run.
* :func:`whole_set` — what needs the whole set: rank, P(top-k) over the shared price draws,
  and the rank stability of the transparent view under random pillar weights.

:func:`rank` composes them for a layer in memory::

    import geoprospect as gp
    ranked = gp.rank_layer()                       # the bundled five-country deposits
    ranked = gp.rank(my_gdf, weights={"grade": .5, "logistics": .2, "risk": .3})
"""

from geoprospect.pipeline.ranking import (
    ALLOCATE_TOP,
    OUTPUT_COLUMNS,
    PROGRESS_ROWS,
    WHOLE_SET_COLUMNS,
    rank,
    rank_layer,
    rank_order,
    top_table,
    whole_set,
)
from geoprospect.pipeline.rows import (
    INPUT_COLUMNS,
    PILLAR_SCORES,
    RANK_DRAWS,
    ScoredRows,
    Valuation,
    drivers,
    score,
    score_in_slices,
    score_rows,
)

__all__ = [
    "ALLOCATE_TOP", "INPUT_COLUMNS", "OUTPUT_COLUMNS", "PILLAR_SCORES", "PROGRESS_ROWS", "RANK_DRAWS",
    "WHOLE_SET_COLUMNS", "ScoredRows", "Valuation", "drivers", "rank", "rank_layer", "rank_order",
    "score", "score_in_slices", "score_rows", "top_table", "whole_set",
]
