"""Escape text from layers before it reaches folium, Leaflet or the page.

folium 0.20 escapes nothing in popup and tooltip text and wraps popups in JavaScript template
literals, so a deposit named ``<img src=x onerror=...>``, ``${...}``, or one holding a backtick
or a backslash would run script or break the whole map. Every text value that comes from a
layer goes through :func:`escape_text` / :func:`escape_series` here: HTML-escaped with quotes,
then ``\\``, `````` ` ``````, ``$``, ``{`` and ``}`` turned into numeric character references. The
result is inert in HTML text, in quoted HTML attributes, inside JavaScript string and template
literals, inside JSON embedded in a ``<script>`` element (it holds no ``<``), and in Jinja: branca
re-parses every rendered folium script as a Jinja template (``MacroElement.render`` wraps the
output in ``Element(...)``), so ``{{ ... }}`` in a deposit name would otherwise be evaluated by
Python at save time.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd

_EXTRA = (("\\", "&#92;"), ("`", "&#96;"), ("$", "&#36;"), ("{", "&#123;"), ("}", "&#125;"))
_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))
_URL_OK = r"^https?://[^\s\"'<>`\\]+$"
_SCHEME = r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:"
_DOT_DOT = r"(?:^|[/\\])(?:\.|%2e){2}(?:$|[/\\?#])"


def escape_text(value: object) -> str:
    """Escape one value for HTML text, quoted attributes, JS literals and embedded JSON.

    Parameters
    ----------
    value : object
        Anything; ``None`` and NaN give an empty string.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = html.escape(str(value), quote=True)
    for raw, ref in _EXTRA:
        text = text.replace(raw, ref)
    return text


def escape_series(values: pd.Series) -> pd.Series:
    """Escape a column of text (vectorised); missing values stay missing (``None``).

    Parameters
    ----------
    values : pandas.Series
        Any dtype; values are turned into text first.

    Returns
    -------
    pandas.Series of object
        Escaped strings, ``None`` where the input was missing or blank.
    """
    text = values.astype("string").str.strip()
    for raw, ref in _HTML + _EXTRA:
        text = text.str.replace(raw, ref, regex=False)
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def safe_urls(values: pd.Series) -> pd.Series:
    """Keep the first ``http(s)`` URL of each value (``a | b`` lists allowed), escaped.

    Anything else (``javascript:``, ``data:``, text with spaces or quotes) becomes ``None``, so a
    link built from the result can only point at a web page.
    """
    first = values.astype("string").str.split("|", n=1).str[0].str.strip()
    ok = first.str.match(_URL_OK, na=False)
    return escape_series(first.where(ok))


def safe_relative_urls(values: pd.Series) -> pd.Series:
    """Keep relative paths that stay in the map's folder or below it, escaped; drop the rest.

    A deal sheet link must open a file written beside the map, never a web page or a script:
    values with a scheme (``https:``, ``javascript:``, ``data:``, ``file:``...), an absolute or
    network path (``/x``, ``//host/x``, ``\\x``), a ``..`` segment (also written ``%2e%2e``), a
    backslash or an encoded slash (``%2f``, ``%5c``), a control character or nothing but blanks
    become ``None``. Spaces and other
    characters outside the URL syntax are percent-encoded, so ``sheets/Mount Weld.html`` keeps
    working; the result is then escaped like any layer text (:func:`escape_series`).

    Parameters
    ----------
    values : pandas.Series
        Relative paths such as ``sheets/dep-001.html``.

    Returns
    -------
    pandas.Series of object
        Escaped relative URLs, ``None`` where refused or missing.

    Examples
    --------
    >>> safe_relative_urls(pd.Series(["sheets/a b.html", "javascript:x", "../up.html"])).tolist()
    ['sheets/a%20b.html', None, None]
    """
    from urllib.parse import quote

    text = values.astype("string").str.strip()
    bad = (text.isna() | (text == "") | text.str.match(_SCHEME, na=True)
           | text.str.contains(r"^[/\\]|\\|[\x00-\x1f\x7f]", regex=True, na=True)
           | text.str.lower().str.contains(_DOT_DOT + r"|%2f|%5c", regex=True, na=True))
    kept = text.where(~bad)
    quoted = kept.map(lambda s: quote(s, safe="/-._~!$&'()*+,;=:@%?#"), na_action="ignore")
    return escape_series(quoted.astype("string"))


def clean_numbers(values: pd.Series | None, length: int, digits: int = 2) -> pd.Series:
    """Turn a column into rounded floats (``None`` where missing or not a number)."""
    if values is None:
        return pd.Series([None] * length, dtype=object)
    num = pd.to_numeric(values, errors="coerce").astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = num.round(digits)
    rounded = rounded.where(np.isfinite(rounded), num)  # rounding 1e307 overflows: keep the value
    rounded = rounded.where(np.isfinite(rounded))
    return rounded.astype(object).where(rounded.notna(), None)


def script_json(obj: object) -> str:
    """Serialise ``obj`` as JSON that is safe inside an inline ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``/``\\u003e``/``\\u0026`` so no value can close the
    script element or open a comment, whatever escaping the caller did.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def plain_words(values: pd.Series) -> pd.Series:
    """Turn ``'a;b'`` lists into ``'a, b'`` (before escaping, whose entities hold ``;``)."""
    text = values.astype("string").str.replace(r"\s*;\s*", ", ", regex=True).str.strip(" ,")
    return text

