#!/usr/bin/env python3
"""Build fx_rates.csv and cost_index.csv for geoprospect.

What this script READS (all read-only):
  * GitHub repo datasets/exchange-rates, snapshot fetched to
    /work/.mirror/datasets+exchange-rates/repo  (read with `git show`, nothing is written there)
      - data/annual.csv  @ fa7d949956d1db1d21102654b1f40d64d2568677 (2026-07-21): FRED annual
        series AEX*US / AEXUS* (= Federal Reserve G.5A annual averages). The repo's script
        stores every currency as units per USD; AUD/EUR (USD per unit at source) were inverted
        and rounded to 4 dp by the repo script.
      - data/annual.csv  @ 8a6dec28a0affdf7eaf455a43be8db862fd9aa09 (2018-10-17): same series,
        AUD/EUR inverted WITHOUT rounding, so the original 4-dp USD-per-unit value is exact.
      - data/monthly.csv @ fa7d949...: FRED EXUSUK monthly (GBP) -> GBP 2024-2025 annual mean.
  * GitHub repo datasets/cpi-us, snapshot /work/.mirror/datasets+cpi-us/repo
      - data/cpiai.csv @ a1f785a423e22924ef9a438f8996130b1d00374f (2026-07-01): BLS CUUR0000SA0
        monthly index -> annual averages (arithmetic mean of the months published).
  * Constants typed in below, each with the page/file it was read from (found with the
    search / read_file tools): Fed G.5A release pages, FRED AEXUSUK csv copy on GitHub,
    IndexMundi (TZS), TLO model resource page (MWK), Chemical Engineering magazine CEPCI pages.

What it WRITES: layers/fx_rates.csv and layers/cost_index.csv.
Run: python scripts/build_fx_cost_index.py [MIRROR_DIR]  (MIRROR_DIR holds the two repositories as
``datasets+exchange-rates/repo`` and ``datasets+cpi-us/repo``; default /work/.mirror)
"""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1] / "layers"
MIRROR = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/.mirror")
FX_GIT = str(MIRROR / "datasets+exchange-rates" / "repo")
CPI_GIT = str(MIRROR / "datasets+cpi-us" / "repo")
FX_HEAD = "fa7d949956d1db1d21102654b1f40d64d2568677"
FX_2018 = "8a6dec28a0affdf7eaf455a43be8db862fd9aa09"
CPI_HEAD = "a1f785a423e22924ef9a438f8996130b1d00374f"

YEARS_FX = range(2008, 2026)


def git_csv(gitdir: str, commit: str, path: str) -> pd.DataFrame:
    txt = subprocess.run(["git", "--git-dir", gitdir, "show", f"{commit}:{path}"],
                         check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(txt))


def sig(x: float, n: int = 6) -> str:
    return f"{x:.{n}g}"


# ---------------------------------------------------------------- sources
SRC_FRED_HEAD = (
    "Federal Reserve G.5A annual averages via FRED series {sid}; compiled in GitHub datasets/exchange-rates "
    f"data/annual.csv (commit {FX_HEAD[:10]}, 2026)",
    f"https://github.com/datasets/exchange-rates/blob/{FX_HEAD}/data/annual.csv",
)
SRC_FRED_2018 = (
    "Federal Reserve G.5A annual averages via FRED series {sid}; GitHub datasets/exchange-rates "
    f"data/annual.csv (commit {FX_2018[:10]}, 2018; unrounded inverse of the source value)",
    f"https://github.com/datasets/exchange-rates/blob/{FX_2018}/data/annual.csv",
)
SRC_FRED_MONTHLY = (
    "FRED monthly series EXUSUK (Fed G.5/H.10) compiled in GitHub datasets/exchange-rates data/monthly.csv "
    f"(commit {FX_HEAD[:10]}, 2026); annual mean computed by derive.py",
    f"https://github.com/datasets/exchange-rates/blob/{FX_HEAD}/data/monthly.csv",
)
G5A = {  # title, url
    "2024": ("Federal Reserve Board, Foreign Exchange Rates -- G.5A Annual, release of 2024-02-01",
             "https://federalreserve.gov/releases/g5a/20240201"),
    "2021": ("Federal Reserve Board, Foreign Exchange Rates -- G.5A Annual, release 20210104 (covers 2017-2020; page text shows Release Date: November 1, 2021)",
             "https://federalreserve.gov/releases/g5a/20210104"),
    "2016": ("Federal Reserve Board, Foreign Exchange Rates -- G.5A Annual, release of 2016-01-04",
             "https://federalreserve.gov/releases/g5a/20160104/default.htm"),
}
SRC_AEXUSUK = ("FRED series AEXUSUK (U.S. dollars to one U.K. pound, annual; Fed G.5A) - CSV copy in GitHub "
               "julianashwin/Media_volatility data/AEXUSUK.csv (commit 8de30ef508)",
               "https://github.com/julianashwin/Media_volatility/blob/8de30ef508696614ccd44c7a15ef02cde837ac2d/data/AEXUSUK.csv")

# --------------------------------------------------- Fed G.5A published values
# (as printed on the G.5A pages; '*' currencies are USD per unit, others units per USD)
# year -> currency -> (value, release key)
G5A_VALUES: dict[int, dict[str, tuple[float, str]]] = {}


def _g5a(release: str, years: list[int], rows: dict[str, list[float]]):
    for cur, vals in rows.items():
        for y, v in zip(years, vals, strict=False):
            G5A_VALUES.setdefault(y, {})
            # later release wins (2020 appears in both 2021 and 2024 releases; identical values)
            G5A_VALUES[y][cur] = (v, release)


_g5a("2016", [2015, 2014, 2013, 2012], {
    "AUD": [0.7522, 0.9034, 0.9683, 1.0359], "BRL": [3.3360, 2.3512, 2.1570, 1.9535],
    "CAD": [1.2791, 1.1043, 1.0300, 0.9995], "CNY": [6.2827, 6.1620, 6.1478, 6.3093],
    "DKK": [6.7263, 5.6151, 5.6170, 5.7922], "EUR": [1.1096, 1.3297, 1.3281, 1.2859],
    "INR": [64.11, 61.00, 58.51, 53.37], "JPY": [121.05, 105.74, 97.60, 79.82],
    "NOK": [8.0681, 6.2969, 5.8772, 5.8181], "ZAR": [12.7645, 10.8420, 9.6436, 8.2014],
    "KRW": [1130.96, 1052.29, 1094.67, 1126.16], "SEK": [8.4350, 6.8576, 6.5124, 6.7721],
    "GBP": [1.5284, 1.6484, 1.5642, 1.5853]})
_g5a("2021", [2020, 2019, 2018, 2017], {
    "AUD": [0.6899, 0.6952, 0.7481, 0.7671], "BRL": [5.1587, 3.9440, 3.6513, 3.1910],
    "CAD": [1.3422, 1.3269, 1.2957, 1.2984], "CNY": [6.9042, 6.9081, 6.6090, 6.7569],
    "DKK": [6.5430, 6.6703, 6.3131, 6.5957], "EUR": [1.1410, 1.1194, 1.1817, 1.1301],
    "INR": [74.1429, 70.3777, 68.3734, 65.0659], "JPY": [106.7754, 109.0188, 110.3974, 112.0986],
    "NOK": [9.4283, 8.8001, 8.1318, 8.2679], "ZAR": [16.4932, 14.4475, 13.2255, 13.2943],
    "KRW": [1180.5554, 1165.8016, 1099.2926, 1129.0435], "SEK": [9.2167, 9.4604, 8.6945, 8.5430],
    "GBP": [1.2829, 1.2768, 1.3363, 1.2890]})
_g5a("2024", [2023, 2022, 2021, 2020], {
    "AUD": [0.6644, 0.6951, 0.7515, 0.6899], "BRL": [4.9946, 5.1605, 5.3958, 5.1587],
    "CAD": [1.3494, 1.3014, 1.2533, 1.3422], "CNY": [7.0809, 6.7290, 6.4508, 6.9042],
    "DKK": [6.8900, 7.0786, 6.2897, 6.5430], "EUR": [1.0817, 1.0534, 1.1830, 1.1410],
    "INR": [82.5708, 78.5792, 73.9351, 74.1429], "JPY": [140.5001, 131.4589, 109.8429, 106.7754],
    "NOK": [10.5659, 9.6138, 8.5955, 9.4283], "ZAR": [18.4535, 16.3598, 14.7751, 16.4932],
    "KRW": [1306.7637, 1291.7796, 1144.8911, 1180.5554], "SEK": [10.6089, 10.1177, 8.5812, 9.2167],
    "GBP": [1.2440, 1.2371, 1.3764, 1.2829]})

# FRED AEXUSUK annual (USD per GBP), CSV copy in julianashwin/Media_volatility (to 2022)
AEXUSUK = {2008: 1.8545, 2009: 1.5661, 2010: 1.5452, 2011: 1.6043, 2012: 1.5853, 2013: 1.5642,
           2014: 1.6484, 2015: 1.5284, 2016: 1.3555, 2017: 1.289, 2018: 1.3363, 2019: 1.2768,
           2020: 1.2829, 2021: 1.3764, 2022: 1.2371}

# ------------------------------------------------------- non-Fed currencies
SRC_TZS = ("IndexMundi, 'Tanzania - Official exchange rate (LCU per US$, period average)' "
           "(World Bank WDI PA.NUS.FCRF; source IMF International Financial Statistics; data 1960-2020)",
           "https://www.indexmundi.com/facts/tanzania/indicator/PA.NUS.FCRF")
TZS = {2008: 1196.31, 2009: 1320.31, 2010: 1395.63, 2011: 1557.43, 2012: 1571.70, 2013: 1597.56,
       2014: 1653.23, 2015: 1991.39, 2016: 2177.09, 2017: 2228.86, 2018: 2263.78, 2019: 2288.21,
       2020: 2294.15}
SRC_MWK = ("Thanzi La Onse (TLO) model, resources/costing/ResourceFile_Exchange_Rates_and_Inflation.csv "
           "(page rendering of the GitHub UCL/TLOmodel file, data 2011-2024; file states: World Development Indicators until 2020, exchangerates.org.uk from 2021)",
           "https://www.tlomodel.org/resources/costing/ResourceFile_Exchange_Rates_and_Inflation.csv.html")
MWK = {2011: 166.1318, 2012: 248.3148, 2013: 364.4058333, 2014: 424.8966667, 2015: 499.6058333,
       2016: 718.005, 2017: 730.2725, 2018: 732.3333333, 2019: 745.5406679, 2020: 749.5274939,
       2021: 799.525, 2022: 934.1089, 2023: 1136.6458, 2024: 1732.64}

FED = {  # currency -> (country name in datasets/exchange-rates, FRED annual id, source quotes USD/unit?)
    "AUD": ("Australia", "AEXUSAL", True), "CAD": ("Canada", "AEXCAUS", False),
    "EUR": ("Euro", "AEXUSEU", True), "SEK": ("Sweden", "AEXSDUS", False),
    "DKK": ("Denmark", "AEXDNUS", False), "NOK": ("Norway", "AEXNOUS", False),
    "BRL": ("Brazil", "AEXBZUS", False), "ZAR": ("South Africa", "AEXSFUS", False),
    "CNY": ("China", "AEXCHUS", False), "INR": ("India", "AEXINUS", False),
    "JPY": ("Japan", "AEXJPUS", False), "KRW": ("South Korea", "AEXKOUS", False),
}
ORDER = ["AUD", "CAD", "EUR", "GBP", "SEK", "DKK", "NOK", "BRL", "ZAR", "CNY", "INR", "JPY", "KRW", "MWK", "TZS"]


def recover_usd_per_unit(inv_rounded: float) -> list[float]:
    """All 4-dp values x with round(1/x, 4) == inv_rounded (undo the repo's invert+round)."""
    lo, hi = 1 / (inv_rounded + 5e-5), 1 / (inv_rounded - 5e-5)
    ks = range(int(np.floor(lo * 1e4)), int(np.ceil(hi * 1e4)) + 1)
    return [round(k * 1e-4, 4) for k in ks if round(1 / (k * 1e-4), 4) == inv_rounded]


def build_fx() -> list[dict]:
    head = git_csv(FX_GIT, FX_HEAD, "data/annual.csv")
    old = git_csv(FX_GIT, FX_2018, "data/annual.csv")
    mon = git_csv(FX_GIT, FX_HEAD, "data/monthly.csv")
    head["y"] = head.Date.str[:4].astype(int)
    old["y"] = old.Date.str[:4].astype(int)
    mon["y"] = mon.Date.str[:4].astype(int)
    rows = []

    def add(cur, y, usd, basis, src, note):
        rows.append(dict(currency=cur, year=y, usd_per_unit="" if usd is None else usd,
                         basis=basis, source=src[0], source_url=src[1], note=note))

    for cur in ORDER:
        for y in YEARS_FX:
            g = G5A_VALUES.get(y, {}).get(cur)
            if cur in FED:
                name, sid, usd_quoted = FED[cur]
                sh = head[(head.Country == name) & (head.y == y)]["Exchange rate"]
                dv = float(sh.iloc[0]) if len(sh) and pd.notna(sh.iloc[0]) else None
                # monthly mean for cross-check (units per USD as stored)
                mm = mon[(mon.Country == name) & (mon.y == y)]["Exchange rate"].dropna()
                if not usd_quoted:
                    if dv is None:
                        add(cur, y, None, "", ("", ""), "no value in source")
                        continue
                    note = f"source quotes {dv:g} {cur} per USD (annual average of daily noon buying rates, NY)"
                    if g:
                        tol = 0.0051 if (g[1] == "2016" and cur in ("INR", "JPY", "KRW")) else 0.00006
                        if abs(g[0] - dv) <= tol:
                            note += f"; matches G.5A release {g[1]} ({g[0]:g})"
                        else:
                            note += f"; CONFLICT: G.5A release {g[1]} prints {g[0]:g}"
                    if y == 2025:
                        note += f"; full-year 2025 average (12 months) published by FRED/Fed; mean of the {len(mm)} monthly averages = {mm.mean():.4f}"
                    add(cur, y, sig(1 / dv), f"inverted: source quotes {cur} per USD; usd_per_unit = 1/value",
                        (SRC_FRED_HEAD[0].format(sid=sid), SRC_FRED_HEAD[1]), note)
                else:  # AUD, EUR: source (Fed) quotes USD per unit
                    if g:
                        add(cur, y, f"{g[0]:.4f}", "USD per unit as published (Fed G.5A '*' currency)", G5A[g[1]],
                            f"FRED {sid} copy in datasets/exchange-rates (inverted, rounded) = {dv:g} {cur}/USD, consistent")
                        continue
                    if y <= 2017:
                        ov = float(old[(old.Country == name) & (old.y == y)]["Exchange rate"].iloc[0])
                        usd = round(1 / ov, 4)
                        add(cur, y, f"{usd:.4f}", "USD per unit as published by Fed (recovered exactly: 1/stored inverse)",
                            (SRC_FRED_2018[0].format(sid=sid), SRC_FRED_2018[1]),
                            f"repo stores 1/x = {ov!r}; 1/that = {1/ov:.8f} -> 4-dp Fed value {usd:.4f}")
                    else:
                        c = recover_usd_per_unit(dv)
                        assert len(c) == 1, (cur, y, c)
                        note = (f"repo stores {dv:g} {cur}/USD (=1/x rounded to 4 dp); the unique 4-dp x with round(1/x,4)={dv:g} is {c[0]:.4f}")
                        if y == 2025:
                            note += f"; full-year 2025 average (12 months); mean of 12 monthly USD/{cur} = {(1/mm).mean():.4f}"
                        add(cur, y, f"{c[0]:.4f}", "USD per unit as published by Fed (recovered from rounded inverse)",
                            (SRC_FRED_HEAD[0].format(sid=sid), SRC_FRED_HEAD[1]), note)
            elif cur == "GBP":
                uk = mon[(mon.Country == "United Kingdom") & (mon.y == y)]["Exchange rate"].dropna()
                mmean = (1 / uk).mean() if len(uk) else None
                if g:
                    note = f"FRED AEXUSUK = {AEXUSUK[y]:g}" if y in AEXUSUK else ""
                    note += ("; " if note else "") + f"mean of 12 monthly EXUSUK = {mmean:.4f}"
                    add(cur, y, f"{g[0]:.4f}", "USD per unit as published (Fed G.5A '*' currency)", G5A[g[1]], note)
                elif y in AEXUSUK:
                    add(cur, y, f"{AEXUSUK[y]:.4f}", "USD per unit as published (FRED annual AEXUSUK)", SRC_AEXUSUK,
                        f"the datasets/exchange-rates repo has no GBP annual series; mean of 12 monthly EXUSUK = {mmean:.4f}")
                else:
                    note = (f"derived: arithmetic mean of the {len(uk)} FRED monthly averages (EXUSUK); monthly values were stored "
                            f"by the repo as 1/x rounded to 4 dp and re-inverted here (error < 0.0001)")
                    if y == 2024:
                        note += "; a GitHub note quoting FRED AEXUSUK gives 1.2781 for 2024 (same)"
                    if y == 2025:
                        note += ("; all 12 months of 2025 available; a GitHub note quoting FRED AEXUSUK (daily-based annual) "
                                 "gives 1.3192 for 2025 - not kept because its repository could not be identified")
                    add(cur, y, f"{mmean:.4f}", "USD per unit; mean of monthly averages (derived)", SRC_FRED_MONTHLY, note)
            elif cur == "TZS":
                if y in TZS:
                    add(cur, y, sig(1 / TZS[y]), "inverted: source quotes TZS per USD (official rate, annual average of monthly averages); usd_per_unit = 1/value",
                        SRC_TZS, f"source quotes {TZS[y]:,.2f} TZS per USD")
                else:
                    add(cur, y, None, "", ("", ""),
                        "no sourced annual average found (IndexMundi page ends 2020; only approximate ranges found elsewhere)")
            elif cur == "MWK":
                if y in MWK:
                    part = "World Development Indicators (official rate)" if y <= 2020 else "exchangerates.org.uk spot history (per the file's source line)"
                    add(cur, y, sig(1 / MWK[y]), "inverted: source quotes MWK per USD; usd_per_unit = 1/value",
                        SRC_MWK, f"source quotes {MWK[y]:g} MWK per USD; underlying: {part}")
                else:
                    add(cur, y, None, "", ("", ""), "no sourced annual average found (TLO file starts 2011 and ends 2024)")
    return rows


# ------------------------------------------------------------------ CPI-U
SRC_CPI = (f"BLS CPI-U U.S. city average, all items, NSA (series CUUR0000SA0), monthly values as compiled in GitHub "
           f"datasets/cpi-us data/cpiai.csv (commit {CPI_HEAD[:10]}, 2026); annual mean computed by derive.py",
           f"https://github.com/datasets/cpi-us/blob/{CPI_HEAD}/data/cpiai.csv")
SRC_STATINV = ("statinvestor.com, 'USA consumer price index (CPI)' (BLS CPI-U annual averages, U.S. city average, data 1992-2017)",
               "https://statinvestor.com/data/30997/usa-consumer-price-index-cpi")
SRC_BLS_SHUTDOWN = "https://www.bls.gov/cpi/additional-resources/2025-federal-government-shutdown-impact-cpi.htm"


def build_cpi() -> list[dict]:
    d = git_csv(CPI_GIT, CPI_HEAD, "data/cpiai.csv")
    d["y"] = d.Date.str[:4].astype(int)
    out = []
    for y in range(2005, 2026):
        s = d[d.y == y].Index
        mean = s.mean()
        basis = "annual average (arithmetic mean of monthly NSA index), 1982-84=100"
        if y in (2005, 2006):
            published = {2005: 195.3, 2006: 201.6}[y]
            out.append(dict(index="CPI-U", year=y, value=f"{published:.1f}", basis=basis + "; published to 1 decimal",
                            source=SRC_STATINV[0], source_url=SRC_STATINV[1],
                            note=f"BLS published monthly indexes to 1 decimal before 2007; mean of the 12 monthly values in datasets/cpi-us = {mean:.3f}"))
            continue
        note = f"mean of {len(s)} months (last digit may differ by 0.001 from the BLS-published average through rounding)"
        if y <= 2017:
            note += "; agrees with statinvestor.com annual table (2 dp)"
        if 2018 <= y <= 2020:
            note += "; agrees with published annual averages quoted to 1 dp (251.1/255.7/258.8) on Q&A pages"
        if y == 2025:
            note = ("PARTIAL: mean of 11 months (Jan-Sep, Nov, Dec 2025); BLS published no October 2025 all-items index "
                    "because of the 2025 lapse in appropriations (" + SRC_BLS_SHUTDOWN + "); no BLS 2025 annual average was found. "
                    "Treasury's TIPS contingency index for Oct 2025 (325.604) is NOT a BLS value and was not used")
            basis = "average of the 11 monthly values available, 1982-84=100"
        out.append(dict(index="CPI-U", year=y, value=f"{mean:.3f}", basis=basis, source=SRC_CPI[0],
                        source_url=SRC_CPI[1], note=note))
    return out


# ------------------------------------------------------------------ CEPCI
CE_PAGES = {
    "2009": ("Chemical Engineering magazine, 'Economic Indicators' page, 2009 issue (table shows Jun. '09 prelim.; annual index 2001-2008) - vsip.info copy 'CE Index'",
             "https://vsip.info/ce-index-2-pdf-free.html"),
    "2015": ("Chemical Engineering magazine, January 2015, 'Economic Indicators' (CEPCI annual index 2006-2013) - scribd copy",
             "https://scribd.com/document/254840379/CEPCI-January-2015"),
    "2020": ("Chemical Engineering magazine, 2020 'Economic Indicators' (CEPCI annual index 2012-2019) - pdfcoffee copy 'cepci2020'",
             "https://pdfcoffee.com/cepci2020-from-chemical-engineering-pdf-free.html"),
    "2023a": ("Chemical Engineering magazine, August 2023, 'Economic Indicators' (CEPCI annual index 2015-2022) - scribd copy",
              "https://www.scribd.com/document/719349543/ChemEng-Aug2023-1"),
    "2023b": ("Chemical Engineering magazine (S. Jenkins), '2023 CEPCI annual average value decreases from previous year' (article on the 2023 annual value)",
              "https://www.chemengonline.com/2023-cepci-annual-average-value-decreases-from-previous-year/"),
}
CEPCI = {  # year: (value, page key)
    2005: (468.2, "2009"), 2006: (499.6, "2015"), 2007: (525.4, "2015"), 2008: (575.4, "2015"),
    2009: (521.9, "2015"), 2010: (550.8, "2015"), 2011: (585.7, "2015"), 2012: (584.6, "2020"),
    2013: (567.3, "2020"), 2014: (576.1, "2020"), 2015: (556.8, "2023a"), 2016: (541.7, "2023a"),
    2017: (567.5, "2023a"), 2018: (603.1, "2023a"), 2019: (607.5, "2023a"), 2020: (596.2, "2023a"),
    2021: (708.8, "2023a"), 2022: (816.0, "2023a"), 2023: (797.9, "2023b"),
}
TEA = "https://handbook.tea-commons.org/reference-data/cost-indices"


def build_cepci() -> list[dict]:
    out = []
    for y in range(2005, 2025):
        if y in CEPCI:
            v, k = CEPCI[y]
            note = "annual index = mean of 12 monthly values (CE)"
            if y != 2005:
                note += f"; same value in TEA Handbook cost-index table ({TEA})"
            if y == 2005:
                note += "; same value (468.2) used in several public GitHub cost models"
            if y == 2021:
                note += "; some public code uses 708.0 (not kept: CE Aug 2023 and TEA Handbook print 708.8)"
            if y in (2015, 2016):
                note += "; BioSTEAM cost_index.py lists 2015=542, 2016=568 (apparently shifted one year; not kept)"
            if y in (2015, 2016, 2017, 2018):
                note += "; also in chemengonline '2018 annual value' article"
            if y == 2019:
                note += "; also chemengonline '2019 CEPCI annual average' article"
            out.append(dict(index="CEPCI", year=y, value=f"{v:.1f}", basis="annual average, 1957-59=100",
                            source=CE_PAGES[k][0], source_url=CE_PAGES[k][1], note=note))
        else:
            out.append(dict(index="CEPCI", year=y, value="", basis="", source="", source_url="",
                            note=("no published 2024 annual average found. TEA Handbook uses the June-2024 monthly value 798.8 as a proxy "
                                  f"({TEA}); public code uses 798.0-800.8 or estimates of 810 - none is a sourced annual average")))
    return out


def write(path: Path, rows: list[dict], cols: list[str]):
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow(r)


if __name__ == "__main__":
    fx = build_fx()
    write(HERE / "fx_rates.csv", fx, ["currency", "year", "usd_per_unit", "basis", "source", "source_url", "note"])
    ci = build_cpi() + build_cepci()
    write(HERE / "cost_index.csv", ci, ["index", "year", "value", "basis", "source", "source_url", "note"])
    filled = sum(1 for r in fx if r["usd_per_unit"] != "")
    print(f"fx_rates.csv: {len(fx)} rows, {filled} with values; cost_index.csv: {len(ci)} rows")
