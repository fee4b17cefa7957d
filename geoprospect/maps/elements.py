"""folium elements that hand escaped payloads to the page's runtime (``GP.*`` functions).

:class:`DataLayer` is a real folium ``Layer``, so folium's ``LayerControl`` lists and toggles
it like any other overlay; its JavaScript is one call such as
``GP.depositLayer(map, {cols, rows}, options)`` that builds one ``L.geoJSON`` layer.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from geoprospect.maps.safe import script_json


def _render_script(element, kwargs) -> None:
    """Put ``element``'s script macro into the page as is.

    branca's ``MacroElement.render`` wraps each rendered script in ``Element(text)``, which
    parses the text as a Jinja template a second time; data must never be parsed as a template,
    so geoprospect's elements add their script through :class:`Raw` instead.
    """
    script = element._template.module.__dict__["script"]
    element.get_root().script.add_child(Raw(script(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class DataLayer(Layer):
    """One toggleable map layer drawn by ``GP.<factory>`` from a compact payload.

    Parameters
    ----------
    factory : str
        Name of the runtime function: ``depositLayer``, ``facilityLayer``, ``routeLayer`` or
        ``countryLayer``.
    payload : dict
        ``{"cols": [...], "rows": [...]}`` with all text already escaped.
    name : str
        Escaped layer name shown in the layer control.
    options : dict, optional
        Options passed to the runtime function.
    overlay, control, show : bool
        As for ``folium.map.Layer``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = GP.{{ this.factory }}(
                {{ this._parent.get_name() }}, {{ this.payload_json }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, payload: dict, name: str, options: dict | None = None, *,
                 overlay: bool = True, control: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "GeoprospectLayer"
        if factory not in {"depositLayer", "facilityLayer", "routeLayer", "countryLayer"}:
            raise ValueError(f"unknown layer factory {factory!r}")
        self.factory = factory
        self.count = len(payload.get("rows", ()))
        self.payload_json = script_json(payload)
        self.options_json = script_json(options or {})

    def render(self, **kwargs) -> None:
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        _render_script(self, kwargs)


class Setup(MacroElement):
    """Title, legend, attribution, search box, full-screen button and type filter."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GP.setup({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict):
        super().__init__()
        self._name = "GeoprospectSetup"
        self.config_json = script_json(config)

    def render(self, **kwargs) -> None:
        _render_script(self, kwargs)


class Raw(Element):
    """Markup placed in the page as is (no template processing of its text)."""

    def __init__(self, markup: str):
        super().__init__()
        self._name = "Raw"
        self.markup = markup

    def render(self, **kwargs) -> str:
        return self.markup


def inline_script(js: str) -> Raw:
    """An inline ``<script>`` element for the page header."""
    return Raw(f"<script>{js}</script>")


def inline_style(css: str) -> Raw:
    """An inline ``<style>`` element for the page header."""
    return Raw(f"<style>{css}</style>")
