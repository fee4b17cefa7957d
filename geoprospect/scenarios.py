"""Named "what if" scenarios: the same deposits valued and routed under changed prices, plants,
sea passages or policies, against the base case.

A scenario (``layers/scenarios.toml``, or a user's TOML file in the same schema) changes one
thing against ``base``: a price scenario of ``price_scenarios.csv``, countries whose plants and
ports routes avoid, closed sea passages, policy events lifted or applied. :func:`run_scenarios`
ranks the deposits under each with the one pipeline (:func:`geoprospect.pipeline.rank`) and
returns, per deposit and scenario, the NPV (median inputs and P50), the rank, the assigned plant
and the change against the base case; every row records its scenario and the facts' date.

Examples
--------
>>> from geoprospect.scenarios import load_scenarios
>>> [s.name for s in load_scenarios()][:3]
['base', 'price-low', 'price-china-domestic']
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.bundled import layer_path
from geoprospect.io.terms import DEFAULT_SCENARIO, scenario_names
from geoprospect.pipeline import RANK_DRAWS, Valuation, rank
from geoprospect.routes.scenario import Scenario

KEYS = {
    "name": str,
    "label": str,
    "as_of": str,
    "price_scenario": str,
    "avoid": list,
    "avoid_passages": list,
    "lift_policies": list,
    "apply_policies": list,
    "sources": list,
}
RANKED_COLUMNS = (
    "id",
    "name",
    "country",
    "npv_musd",
    "npv_musd_p50",
    "rank",
    "assigned_plant_id",
    "plant_id",
)
"""Columns of each scenario's ranking kept in the table."""
COLUMNS = (
    "scenario",
    *RANKED_COLUMNS,
    "delta_npv_musd",
    "delta_rank",
    "plant_changed",
    "scenario_label",
    "scenario_as_of",
)


@dataclass(frozen=True)
class WhatIf:
    """One named scenario (see the module docstring)."""

    name: str
    label: str
    as_of: str = ""
    price_scenario: str = DEFAULT_SCENARIO
    avoid: tuple[str, ...] = ()
    avoid_passages: tuple[str, ...] = ()
    lift_policies: tuple[str, ...] = ()
    apply_policies: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)

    def route_scenario(self, base: Scenario) -> Scenario:
        """``base`` (investor, destination, statuses) with this scenario's route changes."""
        return replace(
            base,
            avoid=tuple(sorted({*base.avoid, *self.avoid})),
            avoid_passages=tuple(sorted({*base.avoid_passages, *self.avoid_passages})),
            lift_policies=self.lift_policies,
            apply_policies=self.apply_policies,
        )


def _line(text: str, pattern: str) -> int:
    m = re.search(pattern, text)
    return text[: m.start()].count("\n") + 1 if m else 0


def load_scenarios(path=None) -> list[WhatIf]:
    """The scenarios of a TOML file (the bundled ``layers/scenarios.toml`` when None).

    Raises
    ------
    LayerError
        Unreadable file, TOML syntax error, an unknown or mistyped key, a missing name, a
        duplicate name or an unknown price scenario: one line naming the file, key and line
        (``option="scenarios"``).
    """
    p = Path(path) if path is not None else layer_path("scenarios.toml")
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise LayerError(f"{p}: cannot read ({exc.strerror})", option="scenarios") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LayerError(f"{p.name}: not valid TOML ({exc})", option="scenarios") from None
    items = data.get("scenario")
    if not isinstance(items, list) or not items:
        raise LayerError(f"{p.name}: no [[scenario]] table", option="scenarios")
    out, seen = [], set()
    for k, item in enumerate(items, start=1):
        where = lambda key: _line(text, rf"(?m)^\s*{key}\s*=")  # noqa: E731
        for key, value in item.items():
            if key not in KEYS:
                raise LayerError(
                    f"{p.name}: scenario {k}: unknown key {key!r} (line {where(key)})", option="scenarios"
                )
            if not isinstance(value, KEYS[key]):
                raise LayerError(
                    f"{p.name}: scenario {k}: key {key!r} must be a {KEYS[key].__name__}", option="scenarios"
                )
        name = item.get("name", "")
        if not name or name in seen:
            raise LayerError(
                f"{p.name}: scenario {k}: {'duplicate' if name else 'missing'} name {name!r}",
                option="scenarios",
            )
        seen.add(name)
        price = item.get("price_scenario", DEFAULT_SCENARIO)
        if price not in scenario_names():
            raise LayerError(
                f"{p.name}: scenario {name!r}: unknown price_scenario {price!r} "
                f"(line {_line(text, re.escape(repr(price)[1:-1]))})",
                option="scenarios",
            )
        out.append(
            WhatIf(
                name=name,
                label=item.get("label", ""),
                as_of=item.get("as_of", ""),
                price_scenario=price,
                avoid=tuple(c.upper() for c in item.get("avoid", [])),
                avoid_passages=tuple(item.get("avoid_passages", [])),
                lift_policies=tuple(item.get("lift_policies", [])),
                apply_policies=tuple(item.get("apply_policies", [])),
                sources=tuple(str(s.get("source", "")) for s in item.get("sources", [])),
            )
        )
    return out


def run_scenarios(
    deposits,
    scenarios: list[WhatIf],
    *,
    base_scenario: Scenario | None = None,
    model_path=None,
    draws: int = RANK_DRAWS,
    seed: int = 0,
    progress=None,
) -> pd.DataFrame:
    """Rank ``deposits`` under every scenario; one row per deposit and scenario.

    The first scenario is the base the changes are measured against (``delta_npv_musd``,
    ``delta_rank``, ``plant_changed``).

    Parameters
    ----------
    deposits : GeoDataFrame
        A validated layer.
    scenarios : list of WhatIf
        From :func:`load_scenarios` (the base first).
    base_scenario : Scenario, optional
        Investor, destination, statuses and avoidances every scenario starts from.
    model_path, draws, seed
        Valuation model, Monte Carlo draws and seed.
    progress : callable, optional
        Called with each scenario's name before it runs.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`.
    """
    base_scenario = base_scenario or Scenario()
    frames = []
    for what in scenarios:
        if progress is not None:
            progress(what.name)
        valuation = Valuation.load(
            model_path, price_scenario_name=what.price_scenario, draws=draws, seed=seed
        )
        ranked = rank(
            deposits, valuation=valuation, scenario=what.route_scenario(base_scenario), routes=0, seed=seed
        )
        cols = [c for c in RANKED_COLUMNS if c in ranked]
        part = pd.DataFrame(ranked[cols]).assign(
            scenario=what.name, scenario_label=what.label, scenario_as_of=what.as_of
        )
        frames.append(part)
    table = pd.concat(frames, ignore_index=True)
    base = table[table["scenario"] == scenarios[0].name].set_index("id")
    table["rank"] = table["rank"].astype(float)
    table["delta_npv_musd"] = table["npv_musd"] - table["id"].map(base["npv_musd"])
    table["delta_rank"] = table["rank"] - table["id"].map(base["rank"].astype(float))
    before = table["id"].map(base["assigned_plant_id"]).fillna("")
    table["plant_changed"] = table["assigned_plant_id"].fillna("") != before
    return table[[c for c in COLUMNS if c in table]]


def biggest_movers(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` deposit-scenario pairs whose NPV moves most against the base (by |change|)."""
    moved = table[table["delta_npv_musd"].abs() > 0]
    order = moved["delta_npv_musd"].abs().sort_values(ascending=False).index
    return moved.loc[order].head(n)
