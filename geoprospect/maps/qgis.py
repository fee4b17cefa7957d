"""QGIS styles (QML and SLD) of geoprospect's layers, in the map's colours.

* deposits and scored sites: a graduated renderer on ``score`` (ten classes of 0-100, each
  coloured by the map's ramp, :func:`geoprospect.maps.style.colours`), marker size by contained
  NdPr oxide with the map's radius rule (:func:`geoprospect.maps.style.radius`, as a QGIS
  expression); polygons are filled instead;
* plants: categorised by their most downstream chain stage (the map's
  :func:`~geoprospect.maps.style.top_stage`, as a QGIS expression);
* route legs: categorised by ``mode`` with the map's line colour, width and dashes.

Built with :mod:`xml.etree.ElementTree`; :func:`style_for` picks the style from the columns.
QML follows QGIS 3 (symbol layer properties written both as ``Option`` maps and as the older
``prop`` elements, which QGIS 3.x reads); SLD is 1.1 (Symbology Encoding), as QGIS exports it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from geoprospect.io.styles import LayerStyle
from geoprospect.maps.style import (
    CHAIN_STAGES,
    MISSING_COLOUR,
    MODE_STYLES,
    SCORE_COLOURS,
    STAGE_COLOURS,
    colours,
    score_colormap,
)

QGIS_VERSION = "3.28.0-Firenze"
SCORE_CLASSES = 10
OUTLINE = "35,35,35,255"
SLD = {"sld": "http://www.opengis.net/sld", "se": "http://www.opengis.net/se",
       "ogc": "http://www.opengis.net/ogc", "xlink": "http://www.w3.org/1999/xlink",
       "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def style_for(columns, geometry_type: str = "Point") -> LayerStyle | None:
    """The style of a layer with these columns and geometry type, or None.

    ``score`` -> deposits (graduated), ``mode`` on lines -> route legs, ``stages`` -> plants.
    """
    columns = [str(c) for c in columns]
    kind = _kind(geometry_type)
    if "score" in columns:
        return deposit_style(columns, kind)
    if "mode" in columns and kind == "line":
        return route_style()
    if "stages" in columns and kind == "marker":
        return plant_style()
    return None


def _kind(geometry_type: str) -> str:
    g = str(geometry_type or "Point").lower()
    return "line" if "line" in g else "fill" if "polygon" in g else "marker"


def size_expression(columns) -> str | None:
    """Marker diameter in pixels, from contained NdPr (t), the map's radius rule x 2."""
    if "contained_ndpr_t" in columns:
        tonnes = '"contained_ndpr_t"'
    elif {"resource_mt", "treo_pct", "ndpr_pct"} <= set(columns):
        tonnes = '"resource_mt" * 1e6 * "treo_pct" / 100 * "ndpr_pct" / 100'
    else:
        return None
    return f"2 * min(18, 3 + 2.2 * log10(1 + max(0, coalesce({tonnes}, 0))))"


def deposit_style(columns, kind: str = "marker") -> LayerStyle:
    """Graduated on ``score`` in the map's ramp; size by contained NdPr (markers)."""
    edges = np.linspace(0, 100, SCORE_CLASSES + 1)
    fills = colours((edges[:-1] + edges[1:]) / 2, score_colormap())
    size = size_expression(columns) if kind == "marker" else None
    classes = [(float(lo), float(hi), str(c)) for lo, hi, c in zip(edges[:-1], edges[1:], fills, strict=True)]
    qml = _qgis(kind)
    r = ET.SubElement(qml, "renderer-v2", type="graduatedSymbol", attr="score",
                      graduatedMethod="GraduatedColor", symbollevels="0", forceraster="0",
                      enableorderby="0", referencescale="-1")
    ranges = ET.SubElement(r, "ranges")
    symbols = ET.SubElement(r, "symbols")
    for i, (lo, hi, colour) in enumerate(classes):
        ET.SubElement(ranges, "range", lower=f"{lo:.1f}", upper=f"{hi:.1f}", symbol=str(i),
                      label=f"{lo:g} - {hi:g}", render="true")
        symbols.append(_symbol(kind, str(i), colour, size=size))
    ET.SubElement(r, "source-symbol").append(_symbol(kind, "0", SCORE_COLOURS[0], size=size))
    r.append(_colour_ramp())
    method = ET.SubElement(r, "classificationMethod", id="EqualInterval")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 - %2", labelprecision="0", trimtrailingzeroes="1")
    rules = [(f"{lo:g} - {hi:g}", _between("score", lo, hi, last=i == len(classes) - 1), colour)
             for i, (lo, hi, colour) in enumerate(classes)]
    return LayerStyle("geoprospect score", _text(qml), _sld("deposits", kind, rules, size is not None),
                      "Score 0-100 in the map's colours; marker size by contained NdPr oxide")


def plant_style() -> LayerStyle:
    """Plants by their most downstream stage (magnet > metal > separation > cracking)."""
    expr = "CASE " + " ".join(f"WHEN regexp_match(lower(\"stages\"), '\\\\b{s}') THEN '{s}'"
                              for s in reversed(CHAIN_STAGES)) + " ELSE 'other' END"
    keys = [*reversed(CHAIN_STAGES), "other"]
    qml = _qgis("marker")
    r = _categorised(qml, expr, [(k, k, STAGE_COLOURS[k], {}) for k in keys], "marker")
    r.append(ET.Element("rotation"))
    rules = []
    for i, key in enumerate(keys):
        later = [s for s in reversed(CHAIN_STAGES)][:i]
        tests = [] if key == "other" else [_like("stages", key)]
        tests += [_not(_like("stages", s)) for s in later]
        rules.append((key, _all(tests) if tests else None, STAGE_COLOURS[key]))
    return LayerStyle("geoprospect plants", _text(qml), _sld("plants", "marker", rules, False),
                      "Plants by their most downstream chain stage")


def route_style() -> LayerStyle:
    """Route legs by transport mode: the map's colour, width and dashes."""
    cats = [(mode, mode if mode != "other" else "", s["color"], s) for mode, s in MODE_STYLES.items()]
    qml = _qgis("line")
    _categorised(qml, "mode", [(label, value, colour, s) for label, value, colour, s in cats], "line")
    rules = [(label, None if label == "other" else _equal("mode", label), colour, s)
             for label, _, colour, s in cats]
    return LayerStyle("geoprospect routes", _text(qml), _sld("route legs", "line", rules, False),
                      "Route legs by transport mode")


# ------------------------------------------------------------------ QML
def _qgis(kind: str) -> ET.Element:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    ET.SubElement(root, "layerGeometryType").text = {"marker": "0", "line": "1", "fill": "2"}[kind]
    return root


def _categorised(root, attr: str, cats: list, kind: str) -> ET.Element:
    r = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=attr, symbollevels="0",
                      forceraster="0", enableorderby="0", referencescale="-1")
    categories = ET.SubElement(r, "categories")
    symbols = ET.SubElement(r, "symbols")
    for i, (label, value, colour, line) in enumerate(cats):
        ET.SubElement(categories, "category", value=value, symbol=str(i), label=label, render="true")
        symbols.append(_symbol(kind, str(i), colour, line=line))
    ET.SubElement(r, "source-symbol").append(_symbol(kind, "0", MISSING_COLOUR))
    return r


def _rgba(colour: str) -> str:
    c = colour.lstrip("#")
    return ",".join(str(int(c[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(kind: str, name: str, colour: str, *, size: str | None = None, line: dict | None = None):
    sym = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    if kind == "marker":
        props = {"name": "circle", "color": _rgba(colour), "outline_color": OUTLINE,
                 "outline_style": "solid", "outline_width": "0.6", "outline_width_unit": "Pixel",
                 "size": "8", "size_unit": "Pixel", "scale_method": "diameter", "angle": "0"}
        layer_class = "SimpleMarker"
    elif kind == "line":
        line = line or {}
        dash = (line.get("dashArray") or "").replace(" ", ";")
        props = {"line_color": _rgba(colour), "line_width": str(line.get("weight", 2)),
                 "line_width_unit": "Pixel", "line_style": "solid", "capstyle": "round",
                 "joinstyle": "round", "use_custom_dash": "1" if dash else "0",
                 "customdash": dash or "5;2", "customdash_unit": "Pixel"}
        layer_class = "SimpleLine"
    else:
        props = {"color": _rgba(colour), "style": "solid", "outline_color": OUTLINE,
                 "outline_style": "solid", "outline_width": "0.26", "outline_width_unit": "MM"}
        layer_class = "SimpleFill"
    layer = ET.SubElement(sym, "layer", attrib={"class": layer_class, "enabled": "1", "locked": "0",
                                                "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(options, "Option", name=k, type="QString", value=v)
    for k, v in props.items():  # the pre-3.26 form, still read
        ET.SubElement(layer, "prop", k=k, v=v)
    dd = ET.SubElement(ET.SubElement(layer, "data_defined_properties"), "Option", type="Map")
    ET.SubElement(dd, "Option", name="name", type="QString", value="")
    properties = ET.SubElement(dd, "Option", name="properties", type="Map")
    if size:
        prop = ET.SubElement(properties, "Option", name="size", type="Map")
        ET.SubElement(prop, "Option", name="active", type="bool", value="true")
        ET.SubElement(prop, "Option", name="expression", type="QString", value=size)
        ET.SubElement(prop, "Option", name="type", type="int", value="3")
    ET.SubElement(dd, "Option", name="type", type="QString", value="collection")
    return sym


def _colour_ramp() -> ET.Element:
    ramp = ET.Element("colorramp", type="gradient", name="[source]")
    opts = ET.SubElement(ramp, "Option", type="Map")
    inner = [f"{i / (len(SCORE_COLOURS) - 1):g};{_rgba(c)}" for i, c in enumerate(SCORE_COLOURS)][1:-1]
    for k, v in (("color1", _rgba(SCORE_COLOURS[0])), ("color2", _rgba(SCORE_COLOURS[-1])),
                 ("discrete", "0"), ("rampType", "gradient"), ("stops", ":".join(inner))):
        ET.SubElement(opts, "Option", name=k, type="QString", value=v)
    return ramp


def _text(root: ET.Element) -> str:
    ET.indent(root)
    doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    return doctype + ET.tostring(root, encoding="unicode")


# ------------------------------------------------------------------ SLD
def _ogc(tag: str) -> str:
    return f"{{{SLD['ogc']}}}{tag}"


def _se(tag: str) -> str:
    return f"{{{SLD['se']}}}{tag}"


def _compare(op: str, field: str, value) -> ET.Element:
    e = ET.Element(_ogc(op))
    ET.SubElement(e, _ogc("PropertyName")).text = field
    ET.SubElement(e, _ogc("Literal")).text = str(value)
    return e


def _between(field: str, lo: float, hi: float, last: bool) -> ET.Element:
    return _all([_compare("PropertyIsGreaterThanOrEqualTo", field, f"{lo:g}"),
                 _compare("PropertyIsLessThanOrEqualTo" if last else "PropertyIsLessThan", field, f"{hi:g}")])


def _equal(field: str, value: str) -> ET.Element:
    return _compare("PropertyIsEqualTo", field, value)


def _like(field: str, word: str) -> ET.Element:
    e = ET.Element(_ogc("PropertyIsLike"), wildCard="%", singleChar="_", escapeChar="\\", matchCase="false")
    ET.SubElement(e, _ogc("PropertyName")).text = field
    ET.SubElement(e, _ogc("Literal")).text = f"%{word}%"
    return e


def _not(e: ET.Element) -> ET.Element:
    n = ET.Element(_ogc("Not"))
    n.append(e)
    return n


def _all(tests: list) -> ET.Element:
    if len(tests) == 1:
        return tests[0]
    a = ET.Element(_ogc("And"))
    a.extend(tests)
    return a


def _sld(title: str, kind: str, rules: list, sized: bool) -> str:
    for prefix, uri in SLD.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{SLD['sld']}}}StyledLayerDescriptor", version="1.1.0")
    root.set(f"{{{SLD['xsi']}}}schemaLocation",
             "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd")
    layer = ET.SubElement(root, f"{{{SLD['sld']}}}NamedLayer")
    ET.SubElement(layer, _se("Name")).text = title
    user = ET.SubElement(layer, f"{{{SLD['sld']}}}UserStyle")
    ET.SubElement(user, _se("Name")).text = title
    fts = ET.SubElement(user, _se("FeatureTypeStyle"))
    for label, test, colour, *line in rules:
        rule = ET.SubElement(fts, _se("Rule"))
        ET.SubElement(rule, _se("Name")).text = label
        ET.SubElement(ET.SubElement(rule, _se("Description")), _se("Title")).text = label
        if test is None:
            ET.SubElement(rule, _se("ElseFilter"))
        else:
            ET.SubElement(rule, _ogc("Filter")).append(test)
        rule.append(_symbolizer(kind, colour, line[0] if line else {}, sized))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _params(parent: ET.Element, tag: str, values: dict) -> None:
    e = ET.SubElement(parent, _se(tag))
    for k, v in values.items():
        ET.SubElement(e, _se("SvgParameter"), name=k).text = str(v)


def _symbolizer(kind: str, colour: str, line: dict, sized: bool) -> ET.Element:
    if kind == "line":
        s = ET.Element(_se("LineSymbolizer"))
        stroke = {"stroke": colour, "stroke-width": line.get("weight", 2), "stroke-linecap": "round"}
        if line.get("dashArray"):
            stroke["stroke-dasharray"] = line["dashArray"]
        _params(s, "Stroke", stroke)
        return s
    if kind == "fill":
        s = ET.Element(_se("PolygonSymbolizer"))
        _params(s, "Fill", {"fill": colour})
        _params(s, "Stroke", {"stroke": "#232323", "stroke-width": 1})
        return s
    s = ET.Element(_se("PointSymbolizer"))
    graphic = ET.SubElement(s, _se("Graphic"))
    mark = ET.SubElement(graphic, _se("Mark"))
    ET.SubElement(mark, _se("WellKnownName")).text = "circle"
    _params(mark, "Fill", {"fill": colour})
    _params(mark, "Stroke", {"stroke": "#232323", "stroke-width": 0.6})
    ET.SubElement(graphic, _se("Size")).text = "10" if sized else "8"
    return s
