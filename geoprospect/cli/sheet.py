"""``geoprospect sheet``: one-page deal sheets (HTML, print-ready on A4) for named deposits.

The layer is ranked exactly as ``geoprospect rank`` ranks it with the same options, so every
number on a sheet is that deposit's row of ``rank``; then the sheets of the deposits asked for
are written into the output folder with an ``index.html``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from geoprospect.cli.options import overwrite_option, read_options, valuation_options
from geoprospect.cli.rows import finish, load_rows, nothing_left, policy_options
from geoprospect.cli.scenario import parse_scenario, scenario_options
from geoprospect.errors import LayerError
from geoprospect.io.bundled import layer_path
from geoprospect.io.report import RowReport
from geoprospect.pipeline.rows import RANK_DRAWS

SCENARIO_TABLES = (".csv", ".json", ".xlsx")


@click.command()
@click.argument("deposits", nargs=-1, required=True, metavar="DEPOSIT...")
@click.option("-i", "--input", "layer_file", type=click.Path(dir_okay=False), default=None,
              metavar="LAYER", help="Deposit layer (default: the bundled five-country deposits).")
@read_options
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for the sheets (made when missing): one DEPOSIT.html each and index.html.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="A valuation .skops model (default: the bundled one).")
@valuation_options
@click.option("--draws", type=click.IntRange(min=0), default=RANK_DRAWS, show_default=True,
              help="Monte Carlo draws of the NPV band (as rank).")
@click.option("--seed", type=int, default=0, show_default=True)
@scenario_options
@click.option("--scenarios", "scenarios_path", type=click.Path(dir_okay=False, exists=True), default=None,
              metavar="FILE", help="Scenario results to show (.csv/.json/.xlsx with id, scenario, "
              "npv_musd_p50, rank, assigned_plant_id, delta_npv_musd; from `geoprospect scenario`).")
@overwrite_option
@policy_options
@click.pass_context
def sheet(ctx, deposits, layer_file, layer, crs, encoding, columns, out_dir, model_path,
          price_scenario, ndpr_price, discount_rate, draws, seed, investor, as_of, lift_policy,
          apply_policy, avoid, status, avoid_passage, to, network_path, scenarios_path, overwrite,
          strict, as_json):
    """Write a one-page deal sheet for each DEPOSIT (its id or name, case-insensitive).

    Each sheet holds the key facts with their sources, the value waterfall, the NPV band, a
    sensitivity tornado, an offline map of the route to the plant and on to a magnet maker,
    flags, offtakes and equity, the assumptions, and scenario results (--scenarios).
    """
    from geoprospect.pipeline import Valuation
    from geoprospect.pipeline import rank as rank_deposits
    from geoprospect.sheets import write_sheets

    scenario = parse_scenario(avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy,
                              apply_policy)
    report = RowReport()
    gdf = load_rows([layer_file or str(layer_path("deposits.geojson"))], layer=layer, crs=crs,
                    encoding=encoding, columns=columns, strict=strict, report=report)
    nothing_left(report)
    ids = resolve_deposits(gdf, deposits)
    scenarios = read_scenarios(scenarios_path) if scenarios_path else None
    valuation = Valuation.load(model_path, price_scenario_name=price_scenario, ndpr_price=ndpr_price,
                               discount_rate=discount_rate, draws=draws, seed=seed)
    ranked = rank_deposits(gdf, valuation=valuation, seed=seed, investor=investor, scenario=scenario,
                           routes=0)
    done = write_sheets(ranked, out_dir, valuation=valuation, ids=ids, network=scenario.network(),
                        scenarios=scenarios, overwrite=overwrite)
    for s in done:
        click.echo(f"wrote {s.path}", err=True)
    click.echo(f"wrote {Path(out_dir) / 'index.html'} ({len(done)} sheet{'s' * (len(done) != 1)})", err=True)
    finish(ctx, report, as_json=as_json)


def resolve_deposits(gdf, wanted) -> list[str]:
    """Ids of the deposits named in ``wanted``: an id, a name, or a part of one name, any case.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer (``id``, ``name``).
    wanted : sequence of str
        What the user typed.

    Returns
    -------
    list of str
        One id per word, in order.

    Raises
    ------
    LayerError
        A word that names no deposit (with the closest id or name as a suggestion), or a part of
        a name that several deposits share.
    """
    ids = gdf["id"].astype(str).tolist() if "id" in gdf.columns else [str(i) for i in gdf.index]
    names = gdf["name"].fillna("").astype(str).tolist() if "name" in gdf.columns else [""] * len(ids)
    by_id = {i.casefold(): i for i in ids}
    by_name: dict[str, list[str]] = {}
    for i, n in zip(ids, names, strict=True):
        by_name.setdefault(n.casefold(), []).append(i)
    out = []
    for word in wanted:
        key = str(word).strip().casefold()
        if key in by_id:
            out.append(by_id[key])
            continue
        hits = by_name.get(key) or [i for i, n in zip(ids, names, strict=True) if key and key in n.casefold()]
        if len(hits) == 1:
            out.append(hits[0])
            continue
        if hits:
            raise LayerError(f"deposit {word!r} matches {len(hits)} deposits ({', '.join(hits[:4])}"
                             f"{', ...' if len(hits) > 4 else ''}); give its id")
        raise LayerError(f"no deposit {word!r} (by id or name){_did_you_mean(key, ids, names)}")
    return out


def _did_you_mean(key: str, ids: list[str], names: list[str]) -> str:
    choices = {c.casefold(): c for c in [*ids, *names] if c}
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {choices[close[0]]!r}?" if close else ""


def read_scenarios(path):
    """A scenario results table from a file.

    Parameters
    ----------
    path : str or Path
        ``.csv``; ``.json`` (a list of records, or ``{"records": [...]}`` as geoprospect writes);
        ``.xlsx`` (its first sheet).

    Returns
    -------
    pandas.DataFrame
        Checked for its columns when a sheet uses it
        (:func:`geoprospect.sheets.facts.scenario_rows`).

    Raises
    ------
    LayerError
        Another extension or an unreadable file (``option="scenarios"``).
    """
    import json

    import pandas as pd

    p = Path(path)
    ext = p.suffix.lower()
    try:
        if ext == ".csv":
            return pd.read_csv(p, dtype={"id": str, "scenario": str, "assigned_plant_id": str})
        if ext == ".xlsx":
            return pd.read_excel(p, dtype={"id": str, "scenario": str})
        if ext == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            records = data.get("records", data.get("rows")) if isinstance(data, dict) else data
            if not isinstance(records, list):
                raise LayerError(f"{p.name}: no list of records", option="scenarios")
            return pd.DataFrame.from_records(records)
    except LayerError:
        raise
    except (ValueError, OSError) as exc:
        raise LayerError(f"{p.name}: cannot read the scenario table ({str(exc).splitlines()[0][:160]})",
                         option="scenarios") from exc
    raise LayerError(f"{p.name}: a scenario table is {', '.join(SCENARIO_TABLES)}", option="scenarios")


def write_ranked_sheets(ranked, out_dir, *, top: int, valuation, network, relative_to, overwrite: bool,
                        scenarios_path=None):
    """``rank --sheets``: write the sheets of the ``top`` rows.

    Parameters
    ----------
    ranked : GeoDataFrame
        The ranked rows (not modified).
    out_dir : str or Path
        The sheets' folder.
    top : int
        How many best rows get a sheet.
    valuation, network
        What ranked the rows.
    relative_to : str or Path or None
        The map (else the table) being written: ``sheet_href`` is relative to its folder (to
        the working folder when None).
    overwrite : bool
    scenarios_path : str or Path, optional
        Scenario results to show on the sheets (``geoprospect scenario``'s table).

    Returns
    -------
    GeoDataFrame
        A copy of ``ranked`` with ``sheet_href`` (None for rows without a sheet).
    """
    from geoprospect.sheets import sheet_hrefs, write_sheets

    scenarios = read_scenarios(scenarios_path) if scenarios_path else None
    done = write_sheets(ranked, out_dir, valuation=valuation, top=top, network=network,
                        overwrite=overwrite, scenarios=scenarios)
    base = Path(relative_to).parent if relative_to else Path(".")
    hrefs = sheet_hrefs(done, base)
    out = ranked.copy()
    out["sheet_href"] = out["id"].astype(str).map(hrefs).astype(object)
    out.attrs.update(ranked.attrs)
    click.echo(f"wrote {len(done)} deal sheets to {out_dir} (index.html)", err=True)
    return out
