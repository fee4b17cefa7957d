"""Column mapping (--columns, --columns-file), the fuzzy suggestion, optional name, country from
the location, and the public compilations' field names and value spellings."""

from __future__ import annotations

import json

import pytest
from _support import INSIDE, run

from geoprospect.errors import LayerError
from geoprospect.io.mapping import ColumnMap, column_map, parse_columns, read_columns_file
from geoprospect.io.validate import check, errors_in, load_layer, normalise

MWI = INSIDE["MWI"]
# a USGS-style layer whose name column the alias table cannot know
ODD = ("SITE_KEY,DEPOSIT_TITLE,NATION,LAT_DEG,LONG_DEG,GRADE_TREO_WT\n"
       f"k1,Kangankunde,Malawi,{MWI[1]},{MWI[0]},2.5\n"
       f"k2,Songwe,Malawi,{MWI[1] + 0.1},{MWI[0]},1.6\n")
MAPPING = "id=SITE_KEY,name=DEPOSIT_TITLE,lat=LAT_DEG,lon=LONG_DEG,treo_pct=GRADE_TREO_WT"


# --- parsing ---------------------------------------------------------------------------------

def test_parse_columns_with_quotes_and_spaces():
    m = parse_columns('name=DEP_NAME, treo_pct="TREO (%)",lat=Lat,"country=Country, ISO"')
    assert m.pairs == (("name", "DEP_NAME"), ("treo_pct", "TREO (%)"), ("lat", "Lat"),
                       ("country", "Country, ISO"))
    assert parse_columns("") == ColumnMap() and not parse_columns(None)


@pytest.mark.parametrize(("text", "words"), [
    ("name", "expected COLUMN=HEADER"), ("nmae=DEP_NAME", "did you mean name?"),
    ("treo=T", "did you mean treo_pct?"), ("name=A,name=B", "mapped twice"),
])
def test_parse_columns_errors(text, words):
    with pytest.raises(LayerError, match=words) as info:
        parse_columns(text)
    assert info.value.option == "columns"


def test_columns_file_table_or_bare_keys_and_the_option_wins(tmp_path):
    table = tmp_path / "cols.toml"
    table.write_text('[columns]\nname = "DEP_NAME"\ntreo_pct = "TREO (%)"\n', encoding="utf-8")
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "DEP_NAME"\n', encoding="utf-8")
    assert read_columns_file(table).get("treo_pct") == "TREO (%)"
    assert read_columns_file(bare).get("name") == "DEP_NAME"
    merged = column_map("name=SITE", table)
    assert merged.get("name") == "SITE" and merged.get("treo_pct") == "TREO (%)"
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(LayerError, match="not valid TOML"):
        read_columns_file(broken)
    with pytest.raises(LayerError, match="file not found"):
        read_columns_file(tmp_path / "none.toml")


# --- applying a mapping ----------------------------------------------------------------------

def test_mapping_by_option_reads_coordinates_names_and_numbers(write_csv):
    path = write_csv("odd.csv", ODD)
    with pytest.raises(LayerError, match="no coordinate columns"):
        load_layer(path)
    gdf, problems = load_layer(path, columns=parse_columns(MAPPING))
    assert errors_in(problems) == []
    assert gdf["name"].tolist() == ["Kangankunde", "Songwe"] and gdf["id"].tolist() == ["k1", "k2"]
    assert gdf["treo_pct"].tolist() == [2.5, 1.6] and gdf["country"].tolist() == ["MWI", "MWI"]


def test_mapping_wins_over_aliases_and_keeps_a_same_named_column(write_csv):
    path = write_csv("both.csv", f"name,Deposit Name,lat,lon\nold,New,{MWI[1]},{MWI[0]}\n")
    gdf, problems = load_layer(path, columns=parse_columns("name=Deposit Name"))
    assert gdf["name"].tolist() == ["New"] and gdf["input_name"].tolist() == ["old"]
    assert any("kept as 'input_name'" in p.message for p in problems)


def test_a_mapped_header_that_is_not_there_suggests_the_closest(write_csv):
    path = write_csv("u.csv", f"DEP_NAME,lat,lon\nA,{MWI[1]},{MWI[0]}\n")
    wanted = r"name=DEP_NAM: the layer has no column 'DEP_NAM'; did you mean DEP_NAME\?"
    with pytest.raises(LayerError, match=wanted):
        load_layer(path, columns=parse_columns("name=DEP_NAM"))
    with pytest.raises(LayerError, match=r"lat=LATT.*did you mean lat\?"):
        load_layer(path, columns=parse_columns("lat=LATT"))


def test_missing_coordinates_suggest_headers_that_look_like_them(write_csv):
    path = write_csv("c.csv", f"NAME,LAT_DEG,LONG_DEG\nA,{MWI[1]},{MWI[0]}\n")
    with pytest.raises(LayerError, match=r"did you mean LAT_DEG and LONG_DEG\?"):
        load_layer(path)


def test_a_header_matches_after_normalisation(write_csv):
    path = write_csv("n.csv", f"Dep Name,lat,lon\nA,{MWI[1]},{MWI[0]}\n")
    gdf, _ = load_layer(path, columns=parse_columns("name=dep_name"))
    assert gdf["name"].tolist() == ["A"]


# --- what the alias table learned from public compilations ------------------------------------

def test_mrds_and_usmin_headers_and_values_need_no_mapping(write_csv):
    mrds = write_csv("mrds.csv",
                     "dep_id,site_name,latitude,longitude,country,dev_stat,dep_type,commod1,ore\n"
                     f"10009306,Mountain Pass,{MWI[1]},{MWI[0]},Malawi,Producer,Carbonatite,REE,"
                     "Bastnaesite\n")
    gdf, problems = load_layer(mrds)
    assert problems == []
    row = gdf.iloc[0]
    assert (row["id"], row["name"], row["stage"], row["deposit_type"], row["commodities"], row["minerals"]) \
        == ("10009306", "Mountain Pass", "production", "carbonatite", "REE", "bastnaesite")
    usmin = write_csv("usmin.csv",
                      f"Ftr_ID,Ftr_Name,Approx_Lat,Approx_Lon,DEP_NAME\nMo1,A,{MWI[1]},{MWI[0]},B\n")
    gdf, problems = load_layer(usmin)
    assert gdf["name"].tolist() == ["A"] and gdf["id"].tolist() == ["Mo1"]
    assert [p.field for p in problems] == ["DEP_NAME"]  # a second name column is kept as is


@pytest.mark.parametrize(("spelled", "canonical"), [
    ("heavy_mineral_sand", "heavy_mineral_sands"), ("Alkaline", "alkaline_complex"),
    ("ion-adsorption clay", "ionic_clay"), ("IOCG", "iron_oxide"), ("Placer", "heavy_mineral_sands"),
])
def test_deposit_type_spellings(deposits_gdf, spelled, canonical):
    g = deposits_gdf.iloc[:1].copy()
    g["deposit_type"] = spelled
    out, findings = check(normalise(g))
    assert out["deposit_type"].iloc[0] == canonical and findings.count() == 0


# --- optional name, country from the location --------------------------------------------------

def test_no_name_no_id_no_country(write_csv):
    sea = (55.0, -30.0)  # Indian Ocean, far from any outline
    path = write_csv("bare.csv", f"lat,lon\n{MWI[1]},{MWI[0]}\n{sea[1]},{sea[0]}\n")
    gdf, problems = load_layer(path)
    assert gdf["id"].tolist() == ["row-1", "row-2"] and gdf["name"].tolist() == ["row-1", "row-2"]
    assert gdf["country"].iloc[0] == "MWI"
    [err] = errors_in(problems)
    assert (err.row, err.field) == (2, "country")
    assert "has no country column" in err.message and "lies in no country" in err.message


def test_empty_country_at_sea_is_an_error_too(write_csv):
    path = write_csv("e.csv", f"name,country,lat,lon\nA,,-30.0,55.0\nB,,{MWI[1]},{MWI[0]}\n")
    gdf, problems = load_layer(path)
    [err] = errors_in(problems)
    assert err.row == 1 and "country is empty" in err.message
    assert gdf["country"].iloc[1] == "MWI"


# --- every command that reads layers takes the mapping ----------------------------------------

@pytest.mark.parametrize("command", ["validate", "rank", "routes", "map", "score"])
def test_every_command_takes_columns_and_columns_file(tmp_path, command):
    src = tmp_path / "odd.csv"
    src.write_text(ODD, encoding="utf-8")
    toml = tmp_path / "cols.toml"
    toml.write_text("[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in
                                            (p.split("=") for p in MAPPING.split(","))), encoding="utf-8")
    out = {"validate": (), "rank": ("--draws", 0, "-o", tmp_path / "o.csv"), "routes": ("--k", 1),
           "map": ("-o", tmp_path / "m.html", "--offline"), "score": ("-o", tmp_path / "o.csv")}[command]
    bare = run(command, src, *out)
    assert bare.exit_code == 2 and "no coordinate columns" in bare.output + bare.stderr
    for how in (("--columns", MAPPING), ("--columns-file", toml)):
        r = run(command, src, *out, *how, "--overwrite" if command in ("rank", "map", "score") else "-q")
        assert r.exit_code == 0, (how, r.output)
        if command in ("rank", "score"):
            written = (tmp_path / "o.csv").read_text(encoding="utf-8")
            assert "Kangankunde" in written and "Songwe" in written
        if command == "routes":
            assert "k1" in r.output and "k2" in r.output


def test_validate_json_with_a_mapping(tmp_path):
    src = tmp_path / "odd.csv"
    src.write_text(ODD, encoding="utf-8")
    r = run("validate", src, "--columns", MAPPING, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.output)["files"][0]["rows"] == 2


@pytest.mark.parametrize("ext", [".gpkg", ".shp", ".shp.zip", ".geojson"])
def test_the_issues_usgs_style_layers_are_read_as_they_are(tmp_path, ext):
    """The issue's files: a UTM GeoPackage, a Shapefile, a zipped Shapefile and a footprint-polygon
    GeoJSON whose name column is DEP_NAME (refused before)."""
    import zipfile

    import geopandas as gpd
    import shapely

    lon, lat = INSIDE["MWI"]
    if ext == ".geojson":
        geoms = [shapely.box(lon, lat, lon + 0.05, lat + 0.05),
                 shapely.box(lon + 0.1, lat, lon + 0.15, lat + 0.05)]
    else:
        geoms = shapely.points([(lon, lat), (lon + 0.1, lat)])
    g = gpd.GeoDataFrame({"DEP_ID": ["u1", "u2"], "DEP_NAME": ["Alpha", "Beta"],
                          "DEV_STAT": ["Prospect"] * 2, "TREO_PCT": [2.0, 1.0]},
                         geometry=geoms, crs="EPSG:4326")
    if ext == ".gpkg":
        g = g.to_crs("EPSG:32736")
    path = tmp_path / f"usgs{ext}"
    if ext == ".shp.zip":
        g.to_file(tmp_path / "usgs.shp")
        with zipfile.ZipFile(path, "w") as zf:
            for part in tmp_path.glob("usgs.*"):
                if part.suffix != ".zip":
                    zf.write(part, part.name)
    else:
        g.to_file(path)
    gdf, problems = load_layer(path)
    assert errors_in(problems) == [], problems
    assert gdf["name"].tolist() == ["Alpha", "Beta"] and gdf["id"].tolist() == ["u1", "u2"]
    assert gdf["stage"].tolist() == ["exploration"] * 2 and gdf["country"].tolist() == ["MWI"] * 2
