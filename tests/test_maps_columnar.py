"""Columnar payloads: every text and number form decodes back to what went in."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapdata import HOSTILE

from geoprospect.maps.columnar import Columns, decode
from geoprospect.maps.safe import escape_series, script_json


def _one(values, key="k"):
    cols = Columns(len(values))
    cols.text(key, escape_series(pd.Series(values, dtype=object)))
    return cols.payload()


def _size(payload) -> int:
    return len(script_json(payload))


def test_plain_dictionary_and_template_forms_round_trip():
    n = 400
    rng = np.random.default_rng(0)
    unique = ["".join(rng.choice(list("abcxyz<&`$"), 12)) for _ in range(n)]
    repeated = [HOSTILE[i % 3] if i % 7 else None for i in range(n)]
    ports = ["INGPR", "AUFRE"]
    routes = [f"road {1000 + 7 * i:,} km → {ports[i % 2]} → sea {i * 13.5:,.1f} km; USD {i % 90} d"
              for i in range(n)]
    for values, form in ((unique, "plain"), (repeated, "d"), (routes, "t")):
        payload = _one(values)
        assert decode(payload, "k") == escape_series(pd.Series(values, dtype=object)).tolist()
        if form != "plain":
            assert "k" in payload[form]
        else:
            assert "d" not in payload and "t" not in payload
    assert _size(_one(routes)) < 0.5 * sum(len(r) for r in routes)


def test_template_keeps_entities_with_digits_exact():
    values = [f"it's {i} &#x27; {3 * i} \\ `{i}`" for i in range(120)]
    payload = _one(values)
    assert "t" in payload
    assert decode(payload, "k") == escape_series(pd.Series(values, dtype=object)).tolist()
    assert all("{" not in v.replace("{}", "") for v in payload["t"]["k"])


def test_empty_columns_are_left_out_and_numbers_are_compact():
    cols = Columns(4)
    cols.text("e", pd.Series([None, None, None, None], dtype=object))
    cols.number("a", [1.0, 2.5, None, np.inf], 1)
    cols.number("b", pd.Series([-0.0, 1234.4, 1e307, "x"]), 0)
    cols.number("none", None, 0)
    cols.number("nan", [np.nan] * 4, 2)
    payload = cols.payload()
    assert payload["c"] == {"a": [1, 2.5, None, None], "b": [0, 1234, 1e307, None]}
    assert json.dumps(payload["c"]["a"]) == "[1, 2.5, null, null]"


def test_wrong_length_is_refused():
    with pytest.raises(ValueError, match="3 values for 2 rows"):
        Columns(2).number("x", [1, 2, 3], 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(HOSTILE), st.text(max_size=30),
                          st.from_regex(r"[a-z ]{0,6}\d{1,4}(,\d{3})?(\.\d)? [a-z→]{0,5}", fullmatch=True)),
                min_size=1, max_size=120))
def test_any_text_round_trips(values):
    payload = _one(values)
    expected = escape_series(pd.Series(values, dtype=object)).tolist()
    assert decode(payload, "k") == expected
    assert json.loads(script_json(payload)) == payload
