"""Feedstock chemistry: what deposits ship and what facilities accept (hand-made rows)."""

from __future__ import annotations

import math

import pytest

from geoprospect.routes.feedstock import accepts, deposit_feed, facility_output, same_owner


def fac(**kw):
    base = {"id": "f", "stages": "cracking;separation", "feedstocks": "monazite_concentrate",
            "radioactive_licence": "yes", "third_party_policy": "yes", "operator": "Plant Co"}
    base.update(kw)
    return base


@pytest.mark.parametrize(("minerals", "product", "tags", "hot"), [
    ("monazite", "monazite_concentrate", {"monazite_concentrate"}, True),
    ("Monazite; xenotime", "mixed_concentrate", {"monazite_concentrate", "xenotime_concentrate"}, True),
    ("bastnaesite;parisite", "bastnaesite_concentrate", {"bastnaesite_concentrate"}, False),
    ("synchysite;apatite", "bastnaesite_concentrate", {"bastnaesite_concentrate"}, False),
    ("ionic", "mixed_carbonate", {"mixed_carbonate"}, False),
    ("eudialyte", "mixed_concentrate", {"mixed_concentrate"}, False),
    (None, "mixed_concentrate", {"mixed_concentrate"}, False),
    (math.nan, "mixed_concentrate", {"mixed_concentrate"}, False),
])
def test_deposit_feed_by_mineralogy(minerals, product, tags, hot):
    feed = deposit_feed(minerals)
    assert (feed.product, set(feed.tags), feed.radioactive) == (product, tags, hot)


def test_thorium_or_uranium_grade_makes_feed_radioactive():
    assert not deposit_feed("bastnaesite", th_ppm=100).radioactive
    assert deposit_feed("bastnaesite", th_ppm=300).radioactive
    assert deposit_feed("bastnaesite", u_ppm=200).radioactive
    assert not deposit_feed("ionic", th_ppm=5000).radioactive  # leached on site, ships carbonate


def test_facility_output_is_last_stage():
    assert facility_output("cracking") == "mixed_chemical"
    assert facility_output("separation;alloy;magnet") == "magnet"
    assert facility_output("metal;alloy") == "alloy"
    assert facility_output(None) is None


def test_feedstock_compatibility():
    mona, bast = deposit_feed("monazite"), deposit_feed("bastnaesite")
    assert accepts(fac(), "monazite_concentrate", mona) is None
    assert "does not accept" in accepts(fac(), "bastnaesite_concentrate", bast)
    both = deposit_feed("monazite;xenotime")
    assert accepts(fac(), both.product, both) == "does not accept monazite_concentrate+xenotime_concentrate"
    assert accepts(fac(feedstocks="monazite_concentrate;xenotime_concentrate"), both.product, both) is None
    assert accepts(fac(feedstocks="mixed_concentrate"), bast.product, bast) is None


def test_licensing_unknown_counts_as_not_licensed():
    mona = deposit_feed("monazite")
    assert "not licensed" in accepts(fac(radioactive_licence=None), mona.product, mona)
    assert "not licensed" in accepts(fac(radioactive_licence="no"), mona.product, mona)
    assert "not licensed" in accepts(fac(radioactive_licence=math.nan), mona.product, mona)
    bast = deposit_feed("bastnaesite")
    plain = fac(feedstocks="bastnaesite_concentrate", radioactive_licence=None)
    assert accepts(plain, bast.product, bast) is None


def test_captive_plants_take_only_their_owners_ore():
    mona = deposit_feed("monazite")
    captive = fac(third_party_policy="no", operator="Lynas Rare Earths")
    assert "owner" in accepts(captive, mona.product, mona, owner="Other Resources Ltd")
    assert accepts(captive, mona.product, mona, owner="Lynas Rare Earths Ltd") is None
    # mine products need a sourced "yes"; intermediates only an explicit "no" stops
    unknown = fac(third_party_policy=None, stages="separation", feedstocks="mixed_chemical")
    reason = accepts(fac(third_party_policy=None), mona.product, mona, owner="X")
    assert reason == "not sourced as taking third-party ore"
    assert accepts(unknown, "mixed_chemical", owner="Somebody") is None


def test_chemicals_oxides_and_stage_advance():
    sep = fac(stages="separation", feedstocks="mixed_chloride")
    assert accepts(sep, "mixed_chemical") is None  # cracking output reaches a chloride separator
    carb = deposit_feed("ionic")
    assert "mixed_carbonate" in accepts(sep, carb.product, carb)
    assert accepts(fac(stages="separation", feedstocks="mixed_carbonate"), carb.product, carb) is None
    magnet = fac(stages="magnet", feedstocks="alloy")
    assert "separated_oxide" in accepts(magnet, "separated_oxide")
    assert accepts(magnet, "alloy") is None
    assert "advance" in accepts(fac(stages="cracking", feedstocks="separated_oxide"), "separated_oxide")


def test_same_owner_ignores_legal_forms():
    assert same_owner("IREL (India) Limited", "IREL (India) Limited (Department of Atomic Energy)")
    assert not same_owner("Iluka Resources", "Lynas Rare Earths")
    assert not same_owner(None, "Lynas")
