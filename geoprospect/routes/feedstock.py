"""Feedstock chemistry: what a deposit ships, what each facility accepts and what it makes.

Products move up a chain of stages::

    concentrate (monazite / xenotime / bastnaesite / mixed)  ->  cracking  ->  mixed chemical
    (chloride, carbonate, ...)  ->  separation  ->  separated oxide  ->  metal  ->  alloy  ->  magnet

Rules (each is a plain function so tests can check it on hand-made rows):

* A deposit's shipped product follows its mineralogy: monazite -> ``monazite_concentrate``,
  xenotime -> ``xenotime_concentrate``, bastnaesite / parisite / synchysite (the fluorocarbonates,
  cracked alike) -> ``bastnaesite_concentrate``; no recognised REE mineral (or unknown) ->
  ``mixed_concentrate``. Ionic clays are heap/in-situ leached on site, so they ship a
  ``mixed_carbonate``.
* A plant accepts a concentrate when it lists every concentrate tag of the deposit, or lists
  ``mixed_concentrate`` (a cracking circuit for mixed mineral concentrates).
* Thorium/uranium-bearing concentrates (any monazite or xenotime, or ore above 1 Bq/g:
  Th >= 246 ppm or U >= 80 ppm, the IAEA RS-G-1.7 exemption level converted with the specific
  activities of Th-232 and U-238) go only to plants with ``radioactive_licence == "yes"``;
  unknown counts as not licensed.
* A plant whose ``third_party_policy`` is ``no`` takes only feed of its own operator (owner
  names compared on distinctive words). Mine products (anything passed with a ``feed``) go to
  another owner's plant only when a source says it takes third-party feed (``yes``, or
  ``case_by_case``: negotiated per project, which a route may count on); intermediate products
  (chemicals, oxides, metals, alloys) from another plant are refused only on an explicit "no".
* A multi-stage site makes the product of its last stage; a plant must advance the product.
"""

from __future__ import annotations

import math
import re

STAGES = ("cracking", "separation", "metal", "alloy", "magnet")
STAGE_OUTPUT = {
    "cracking": "mixed_chemical", "separation": "separated_oxide", "metal": "metal",
    "alloy": "alloy", "magnet": "magnet",
}
CONCENTRATES = ("monazite_concentrate", "xenotime_concentrate", "bastnaesite_concentrate",
                "mixed_concentrate")
CHEMICALS = ("mixed_chemical", "mixed_carbonate", "mixed_chloride")
RANK = {**dict.fromkeys(CONCENTRATES, 0), **dict.fromkeys(CHEMICALS, 1),
        "separated_oxide": 2, "metal": 3, "alloy": 4, "magnet": 5}
MINERAL_TAG = {
    "monazite": "monazite_concentrate", "xenotime": "xenotime_concentrate",
    "bastnaesite": "bastnaesite_concentrate", "parisite": "bastnaesite_concentrate",
    "synchysite": "bastnaesite_concentrate",
}
RADIOACTIVE_MINERALS = frozenset({"monazite", "xenotime"})
TH_PPM_LIMIT = 246.0  # 1 Bq/g of Th-232 (specific activity 4.07 kBq/g)
U_PPM_LIMIT = 80.0  # 1 Bq/g of U-238 (specific activity 12.4 kBq/g)
_OWNER_STOP = frozenset(
    "ltd limited inc corp corporation co company plc pty llc sdn bhd the of and group rare earth earths "
    "materials resources mining minerals metals metal technology technologies india jv oü ou sas energy "
    "government department subsidiary formerly".split()
)


class Feed:
    """What a deposit ships: ``product`` plus concentrate ``tags`` and a ``radioactive`` flag."""

    __slots__ = ("product", "radioactive", "tags")

    def __init__(self, product: str, tags: frozenset[str], radioactive: bool) -> None:
        self.product, self.tags, self.radioactive = product, tags, radioactive

    @property
    def key(self) -> str:
        """Stable text key, e.g. ``monazite_concentrate+xenotime_concentrate|th``."""
        return "+".join(sorted(self.tags)) + ("|th" if self.radioactive else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Feed) and self.key == other.key and self.product == other.product

    def __hash__(self) -> int:
        return hash((self.product, self.key))

    def __repr__(self) -> str:
        return f"Feed({self.product!r}, {self.key!r})"


def split_list(value) -> list[str]:
    """``'monazite; Xenotime'`` -> ``['monazite', 'xenotime']``; None/NaN -> []."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [p.strip().lower() for p in str(value).split(";") if p.strip()]


def _num(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def deposit_feed(minerals, th_ppm=None, u_ppm=None) -> Feed:
    """The product a deposit ships, from its mineral list and Th/U grades.

    Parameters
    ----------
    minerals : str or None
        Semicolon list, e.g. ``"monazite;xenotime"``.
    th_ppm, u_ppm : float, optional
        Ore thorium and uranium, ppm; NaN/None = unknown.

    Returns
    -------
    Feed
    """
    names = split_list(minerals)
    th, u = _num(th_ppm), _num(u_ppm)
    hot = bool(RADIOACTIVE_MINERALS & set(names)) or th >= TH_PPM_LIMIT or u >= U_PPM_LIMIT
    if "ionic" in names:
        return Feed("mixed_carbonate", frozenset({"mixed_carbonate"}), False)
    tags = frozenset(MINERAL_TAG[n] for n in names if n in MINERAL_TAG) or frozenset({"mixed_concentrate"})
    product = next(iter(tags)) if len(tags) == 1 else "mixed_concentrate"
    return Feed(product, tags, hot)


def shipped_feed(product, minerals, th_ppm=None, u_ppm=None) -> Feed | None:
    """What a project ships, given the product it sells (the valuation's ``product``).

    ``concentrate`` (or unknown): its mineral concentrate (:func:`deposit_feed`); ``mixed_chemical``:
    a chemical cracked on site, for a separation plant; ``separated_oxide``: None, its oxide goes to
    magnet makers and needs no plant.
    """
    if product == "separated_oxide":
        return None
    if product == "mixed_chemical":
        return Feed("mixed_chemical", frozenset(), False)
    return deposit_feed(minerals, th_ppm, u_ppm)


def facility_output(stages) -> str | None:
    """Product of a facility's last stage (``stages`` a semicolon string or list)."""
    names = stages if isinstance(stages, list | tuple) else split_list(stages)
    known = [s for s in STAGES if s in names]
    return STAGE_OUTPUT[known[-1]] if known else None


def owner_words(name) -> frozenset[str]:
    """Distinctive lower-case words of an owner/operator name (legal forms and generic words dropped)."""
    words = re.findall(r"[a-z0-9]+", str(name or "").lower())
    return frozenset(w for w in words if w not in _OWNER_STOP and len(w) > 1)


def same_owner(a, b) -> bool:
    """True when two owner/operator names share a distinctive word (``Lynas``, ``IREL``...)."""
    return bool(owner_words(a) & owner_words(b))


def accepts(facility: dict, product: str, feed: Feed | None = None, owner=None,
            feed_plants: frozenset[str] = frozenset()) -> str | None:
    """Why ``facility`` cannot take ``product`` (a short reason), or None when it can.

    Parameters
    ----------
    facility : mapping
        A facility row: ``stages``, ``feedstocks``, ``radioactive_licence``,
        ``third_party_policy`` (older layers: ``third_party_feed``), ``operator``.
    product : str
        The product arriving (a concentrate, chemical, oxide, metal or alloy).
    feed : Feed, optional
        For concentrates: the deposit's tags and radioactivity.
    owner : str, optional
        Owner of the material (deposit owner or upstream operator) for captive plants.
    feed_plants : frozenset of str, optional
        Plant ids that take this feed whatever their third-party policy (the investor's own and
        partner plants); chemistry and licence rules still apply.
    """
    out = facility_output(facility.get("stages"))
    if out is None or RANK[out] <= RANK.get(product, 99):
        return "does not advance the product"
    feeds = set(split_list(facility.get("feedstocks")))
    if product in CONCENTRATES:
        tags = feed.tags if feed is not None else frozenset({product})
        if "mixed_concentrate" not in feeds and not tags <= feeds:
            return f"does not accept {'+'.join(sorted(tags))}"
        if (feed is None or feed.radioactive) and str(facility.get("radioactive_licence")).lower() != "yes":
            return "not licensed for thorium/uranium-bearing feed"
    elif product == "mixed_carbonate":
        if not feeds & {"mixed_carbonate", "mixed_chemical"}:
            return "does not accept mixed_carbonate"
    elif product == "mixed_chemical":
        if not feeds & set(CHEMICALS):
            return "does not accept mixed chemicals"
    elif product not in feeds:
        return f"does not accept {product}"
    third = str(facility.get("third_party_policy", facility.get("third_party_feed"))).strip().lower()
    captive = third == "no" or (feed is not None and third not in ("yes", "case_by_case"))
    if captive and not same_owner(owner, facility.get("operator")) and facility.get("id") not in feed_plants:
        return "processes only its owner's feed" if third == "no" else "not sourced as taking third-party ore"
    return None
