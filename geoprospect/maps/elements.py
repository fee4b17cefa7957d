"""folium elements that hand escaped payloads to the page's runtime (``GP.*`` functions).

:class:`DataTable` puts one columnar payload in the page; :class:`DataLayer` draws rows of it as
one ``L.geoJSON`` layer that folium's ``LayerControl`` lists; :class:`Setup` and
:class:`Finish` add the panels and fit the first view.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from geoprospect.maps.safe import script_json

TABLES = ("deposits", "facilities", "routes", "countries")


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


class DataTable(MacroElement):
    """One columnar payload (:mod:`geoprospect.maps.columnar`) handed to the page once, as
    ``GP.table(name, {...})``; the layers drawn from it name it. Add it to the map before them.

    Parameters
    ----------
    table : str
        ``deposits``, ``facilities``, ``routes`` or ``countries``.
    payload : dict
        The columnar payload, all text already escaped.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GP.table({{ this.table_json }}, {{ this.payload_json }});
        {% endmacro %}
        """
    )

    def __init__(self, table: str, payload: dict):
        super().__init__()
        self._name = "GeoprospectTable"
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self.table_json = script_json(table)
        self.payload_json = script_json(payload)

    def render(self, **kwargs) -> None:
        _render_script(self, kwargs)


class DataLayer(Layer):
    """One toggleable map layer drawn by ``GP.<factory>`` from rows of a :class:`DataTable`.

    :class:`DataLayer` is a real folium ``Layer``, so folium's ``LayerControl`` lists and toggles
    it like any other overlay; its JavaScript is one call such as
    ``GP.depositLayer(map, "deposits", {"from": 0, "to": 120, ...})``.

    Parameters
    ----------
    factory : str
        Name of the runtime function: ``depositLayer``, ``facilityLayer``, ``routeLayer`` or
        ``countryLayer``.
    table : str
        Name of the :class:`DataTable` the layer draws from.
    name : str
        Escaped layer name shown in the layer control.
    count : int
        How many features the layer draws (reported in ``geoprospect_info``).
    options : dict, optional
        Options passed to the runtime function (``from``/``to`` select a range of rows).
    overlay, control, show : bool
        As for ``folium.map.Layer``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = GP.{{ this.factory }}(
                {{ this._parent.get_name() }}, {{ this.table_json }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, table: str, name: str, count: int, options: dict | None = None,
                 *, overlay: bool = True, control: bool = True, show: bool = True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "GeoprospectLayer"
        if factory not in {"depositLayer", "facilityLayer", "routeLayer", "countryLayer"}:
            raise ValueError(f"unknown layer factory {factory!r}")
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self.factory = factory
        self.count = count
        self.table_json = script_json(table)
        self.options_json = script_json(options or {})

    def render(self, **kwargs) -> None:
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        _render_script(self, kwargs)


class Setup(MacroElement):
    """Title, legend, attribution, search box and full-screen button, then a first fit of the
    view (``GP.setup``). Add it before the layers, so they are drawn once, at the first view;
    ``config`` may be filled in until the map is rendered (it is serialised then)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GP.setup({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict | None = None):
        super().__init__()
        self._name = "GeoprospectSetup"
        self.config = dict(config or {})

    @property
    def config_json(self) -> str:
        return script_json(self.config)

    def render(self, **kwargs) -> None:
        _render_script(self, kwargs)


class Finish(MacroElement):
    """``GP.finish``: the deposit-type filter, the first view fitted again if the layer list
    changed the margins, then the page is marked ready. Add it last, after folium's
    ``LayerControl``, so every control can be measured."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GP.finish({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "GeoprospectFinish"

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
