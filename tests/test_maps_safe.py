"""Escaping of layer text before it reaches the map page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mapdata import HOSTILE

from geoprospect.maps.safe import (
    clean_numbers,
    escape_series,
    escape_text,
    plain_words,
    safe_urls,
    script_json,
)

DANGEROUS = ("<", ">", "`", "$", "\\", '"', "'", "{", "}")


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_holds_no_active_character(text):
    out = escape_text(text)
    assert not any(ch in out for ch in DANGEROUS)
    import html

    assert html.unescape(out) == text  # a browser shows the original text


def test_series_matches_scalar_and_keeps_missing():
    values = pd.Series([*HOSTILE, None, np.nan, "  ", 3.5])
    out = escape_series(values)
    assert out.tolist()[: len(HOSTILE)] == [escape_text(t.strip()) for t in HOSTILE]
    assert out.iloc[len(HOSTILE):len(HOSTILE) + 3].isna().all()
    assert out.iloc[-1] == "3.5"


def test_ampersand_escaped_first():
    assert escape_text("&lt;") == "&amp;lt;"
    assert escape_series(pd.Series(["&lt;$"])).iloc[0] == "&amp;lt;&#36;"


def test_urls_only_http():
    urls = pd.Series(["https://a.org/x?y=1&z=2 | https://b.org", "javascript:alert(1)",
                      "data:text/html,<b>", "http://ok.org/\"onmouseover=x", None, "ftp://x"])
    out = safe_urls(urls).tolist()
    assert out[0] == "https://a.org/x?y=1&amp;z=2"
    assert out[1:] == [None] * 5


def test_script_json_cannot_close_script():
    text = script_json({"a": "</script><!-- &", "b": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- &", "b": "\u2028"}


def test_numbers_and_lists():
    assert clean_numbers(pd.Series(["1.234", "x", None, np.inf]), 4).tolist() == [1.23, None, None, None]
    assert clean_numbers(None, 2).tolist() == [None, None]
    assert plain_words(pd.Series(["a; b;c;", None])).tolist()[0] == "a, b, c"
