"""Deal sheets in headless Chromium: offline, no console errors, one A4 page at 100 %, and a
hostile deposit name that runs nothing."""

from __future__ import annotations

import re

import pytest
from sheetdata import HOSTILE_ID, HOSTILE_NAME, ranked_with_valuation

from geoprospect.sheets import write_sheets

pytestmark = pytest.mark.browser

A4_PX = (210 / 25.4 * 96, 297 / 25.4 * 96)


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """The best deposit, the one with the most deal text and offtakes, and the hostile twin."""
    rows, valuation = ranked_with_valuation()
    ids = [rows["id"].iloc[0], "mwi-kangankunde", HOSTILE_ID]
    written = write_sheets(rows, tmp_path_factory.mktemp("sheets"), valuation=valuation, ids=ids)
    return {s.id: s for s in written}, rows


@pytest.fixture
def visit(open_offline):
    seen = []

    def go(path):
        v = open_offline(path)
        seen.append(v)
        return v

    yield go
    for v in seen:
        assert v.page.evaluate("typeof window.__pwned") == "undefined"
        assert v.dialogs == [] and v.errors == []
        assert v.aborted == [] and v.file_requests == []  # no request of any kind


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.parametrize("which", [0, 1])
def test_sheet_opens_offline_shows_name_band_route_and_prints_on_one_a4_page(visit, sheets, which):
    written, rows = sheets
    deposit_id = [rows["id"].iloc[0], "mwi-kangankunde"][which]
    sheet = written[deposit_id]
    row = rows[rows["id"] == deposit_id].iloc[0]
    page = visit(sheet.path).page
    assert page.locator("#deposit-name").text_content() == row["name"]
    band = page.locator("#npv-band").text_content()
    assert "P10" in band and "P90" in band and f"{row['npv_musd_p50']:,.0f}".replace("-", "−") in band
    assert "→" in page.locator("#route-summary").text_content()
    legs = page.evaluate("""() => { let n = 0; GP.map.eachLayer(l => {
        const p = l.feature ? GP.props(l) : null; if (p && p.kind === "route") n++; }); return n; }""")
    assert legs >= 3  # land, sea, ... to the magnet maker
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator("figure.chart svg").count() == 3
    page.emulate_media(media="print")
    # nothing is cut off at the page's bottom edge, and the box is one A4 page
    height, client = page.evaluate("(() => { const s = document.querySelector('.sheet');"
                                   " return [s.scrollHeight, s.clientHeight]; })()")
    assert height <= client <= A4_PX[1]
    pdf = page.pdf(format="A4", scale=1, print_background=True)
    assert pdf.startswith(b"%PDF") and _pages(pdf) == 1


def test_hostile_name_runs_nothing_and_shows_literally(visit, sheets):
    written, _ = sheets
    page = visit(written[HOSTILE_ID].path).page
    assert page.locator("#deposit-name").text_content() == HOSTILE_NAME
    assert HOSTILE_NAME in page.title()
    assert page.locator("img").count() == 0
    assert page.locator("main b").filter(has_text="bold").count() == 0
    hrefs = page.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert all(h.startswith("https://") for h in hrefs)
    page.locator("path.gp-deposit").first.click(force=True)
    popup = page.locator(".leaflet-popup .gp-name")
    popup.wait_for(timeout=5000)
    assert popup.text_content() == HOSTILE_NAME
    assert _pages(page.pdf(format="A4", scale=1)) == 1
