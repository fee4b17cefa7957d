"""Page assets: geoprospect's own script and styles, and Leaflet inlined for offline maps.

Offline maps carry every asset inline, read at run time from an installed registry package
(never copied into the repository): Leaflet 1.9.3 from the ``xstatic-leaflet`` wheel on PyPI
(``xstatic/pkg/leaflet/data``), its CSS images as ``data:`` URIs. Nothing else is needed: the
search box, full-screen button, deposit-type filter and legend are geoprospect's own short
scripts (``static/geoprospect_map.js``, ``static/geoprospect_controls.js``), the scale bar
is Leaflet's ``L.control.scale``.
jQuery, Bootstrap, Font Awesome and branca's d3 legend are not used by the offline page.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from pathlib import Path

from geoprospect.errors import OutputError

_STATIC = "static"
_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc\s*=\s*[\"']?(?!data:)[^\"'\s>]+|<link[^>]*\bhref\s*=\s*[\"']?(?!data:)[^\"'\s>]+"
    r"|url\(\s*[\"']?(?:https?:)?//|@import",
    re.IGNORECASE,
)


_SCRIPTS = ("geoprospect_map.js", "geoprospect_controls.js")
"""The runtime (tables, colours, popups, layers), then the panels that use it."""


@cache
def own_script() -> str:
    """geoprospect's map runtime (JavaScript), inlined into every map."""
    folder = resources.files("geoprospect.maps").joinpath(_STATIC)
    return _safe_inline("\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in _SCRIPTS))


@cache
def own_styles() -> str:
    """geoprospect's map styles (CSS), inlined into every map."""
    return resources.files("geoprospect.maps").joinpath(_STATIC, "geoprospect_map.css").read_text(
        encoding="utf-8")


def leaflet_dir() -> Path:
    """Folder of the Leaflet distribution inside the installed ``xstatic-leaflet`` wheel.

    Raises
    ------
    OutputError
        When the package is not installed (offline maps cannot be written without it).
    """
    try:
        import xstatic.pkg.leaflet as pkg
    except ImportError as exc:
        raise OutputError(
            "offline maps need the xstatic-leaflet package (pip install xstatic-leaflet)"
        ) from exc
    return Path(pkg.BASE_DIR)


@cache
def leaflet_js() -> str:
    """Leaflet's minified script, without its source-map comment."""
    text = (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return _safe_inline(re.sub(r"//# sourceMappingURL=\S+\s*$", "", text))


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with its ``images/*.png`` references turned into ``data:`` URIs."""
    folder = leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = folder / "images" / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(\s*[\"']?images/([A-Za-z0-9_.-]+\.png)[\"']?\s*\)", inline, css)


def leaflet_version() -> str:
    """Version of the bundled Leaflet (from the xstatic package)."""
    import xstatic.pkg.leaflet as pkg

    return str(pkg.VERSION)


def external_references(html: str) -> list[str]:
    """Return the asset references in ``html`` that would reach outside the file.

    Checks ``<script src>``, ``<link href>``, CSS ``url(//…)`` / ``url(http…)`` and ``@import``.
    Links inside popups (``<a href>``) are not assets and are not counted.
    """
    return [m.group(0)[:120] for m in _EXTERNAL.finditer(html)]


def _safe_inline(js: str) -> str:
    """Make a script safe to place inside an inline ``<script>`` element."""
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")
