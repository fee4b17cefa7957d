/* geoprospect map panels (written for geoprospect; MIT): deposit-type filter, search box,
 * full-screen button, title and legend (GP.setup), and the first view (GP.finish). Loaded after
 * geoprospect_map.js; text arrives escaped as described there. */
(function () {
  "use strict";
  var GP = window.GP;

  function applyTypeFilter() {
    GP.deposits.forEach(function (d) {
      var hide = GP.hiddenTypes[d.key] === true, has = d.group.hasLayer(d.layer);
      if (hide && has) { d.group.removeLayer(d.layer); }
      if (!hide && !has) { d.group.addLayer(d.layer); }
    });
  }

  /* ---- controls ---- */
  function control(map, position, className, html) {
    var C = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-control gp-box " + className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    var c = new C({position: position});
    c.addTo(map);
    return c.getContainer();
  }
  function panel(title, body, open) {
    return "<details" + (open ? " open" : "") + "><summary>" + title + "</summary>" + body + "</details>";
  }

  function typeFilter(map, open) {
    var keys = Object.keys(GP.types).sort();
    if (keys.length < 2) { return; }
    var h = "";
    keys.forEach(function (k, i) {
      h += "<label><input type=\"checkbox\" checked data-i=\"" + i + "\"> " + (k || "unknown") +
        " <span class=\"gp-n\">(" + GP.types[k] + ")</span></label>";
    });
    var div = control(map, "bottomleft", "gp-types", panel("Deposit type", h, open));
    div.addEventListener("change", function (e) {
      var k = keys[Number(e.target.getAttribute("data-i"))];
      GP.hiddenTypes[k] = !e.target.checked;
      applyTypeFilter();
    });
  }

  function searchBox(map) {
    var div = control(map, "topleft", "gp-search",
      "<input type=\"search\" list=\"gp-names\" placeholder=\"Find a deposit…\" aria-label=\"Find a deposit\">" +
      "<datalist id=\"gp-names\"></datalist><div class=\"gp-msg\"></div>");
    var input = div.querySelector("input"), msg = div.querySelector(".gp-msg"), filled = false;
    var nameOf = GP.depositName;
    input.addEventListener("focus", function () {
      if (filled) { return; }
      filled = true;
      var seen = Object.create(null), opts = [];
      for (var i = 0; i < GP.deposits.length && opts.length < 5000; i++) {
        var nm = nameOf(GP.deposits[i]);
        if (nm && !seen[nm]) { seen[nm] = true; opts.push("<option value=\"" + nm + "\">"); }
      }
      div.querySelector("datalist").innerHTML = opts.join("");
    });
    function go() {
      var q = input.value.trim().toLowerCase();
      if (!q) { return; }
      var best = null;
      for (var i = 0; i < GP.deposits.length; i++) {
        var d = GP.deposits[i];
        if (d.name === null) { d.name = GP.decode(nameOf(d)).toLowerCase(); }
        if (d.name.indexOf(q) < 0 || GP.hiddenTypes[d.key] === true) { continue; }
        if (d.name === q) { best = d; break; }
        if (best === null) { best = d; }
      }
      if (best === null) { msg.textContent = "No deposit matches."; return; }
      msg.textContent = "";
      if (!map.hasLayer(best.group)) { map.addLayer(best.group); }
      var l = best.layer;
      var ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
      if (l.getLatLng) { map.setView(ll, Math.max(map.getZoom(), 6)); } else { map.fitBounds(l.getBounds()); }
      l.fire("click", {latlng: ll}, true);  // the layer's popup opens for this marker
    }
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
    input.addEventListener("change", go);
  }

  function fullscreen(map) {
    var div = control(map, "topleft", "gp-fullscreen leaflet-bar",
      "<a href=\"#\" role=\"button\" title=\"Full screen\" aria-label=\"Full screen\">" +
      "<svg width=\"16\" height=\"16\" viewBox=\"0 0 16 16\" style=\"vertical-align:middle\">" +
      "<path d=\"M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5\" fill=\"none\" stroke=\"#333\" stroke-width=\"2\"/>" +
      "</svg></a>");
    div.querySelector("a").addEventListener("click", function (e) {
      e.preventDefault();
      var box = map.getContainer();
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (box.requestFullscreen) { box.requestFullscreen(); }
    });
    document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
  }

  GP.setup = function (map, cfg) {
    var open = !GP.smallScreen();
    GP.config = cfg;
    GP.watchLayerControls();
    var title = L.DomUtil.create("div", "gp-title", map.getContainer());
    title.innerHTML = cfg.title;
    L.DomEvent.disableClickPropagation(title);
    control(map, "bottomright", "gp-legend", panel("Legend", cfg.legend, open));
    if (cfg.attribution) { map.attributionControl.addAttribution(cfg.attribution); }
    searchBox(map);
    fullscreen(map);
    GP.map = map;
    GP.fit(map);  // before the layers are drawn, so they are drawn once, at the first view
  };

  /** How far the controls reach into the map from each side (pixels), to keep data clear of them
   * (each side at most 30 % of the map; on small screens only the title and the attribution). */
  GP.controlMargins = function (map) {
    var box = map.getContainer().getBoundingClientRect(), m = {left: 0, right: 0, top: 0, bottom: 0};
    var cap = function (v, size) { return Math.max(0, Math.min(v + 10, size * 0.3)); };
    map.getContainer().querySelectorAll(".leaflet-left .leaflet-control").forEach(function (el) {
      m.left = Math.max(m.left, el.getBoundingClientRect().right - box.left);
    });
    map.getContainer().querySelectorAll(".leaflet-right .leaflet-control:not(.leaflet-control-attribution)")
      .forEach(function (el) { m.right = Math.max(m.right, box.right - el.getBoundingClientRect().left); });
    var title = map.getContainer().querySelector(".gp-title");
    if (title) { m.top = title.getBoundingClientRect().bottom - box.top; }
    var attribution = map.getContainer().querySelector(".leaflet-control-attribution");
    if (attribution) { m.bottom = box.bottom - attribution.getBoundingClientRect().top; }
    if (GP.smallScreen()) { m.left = m.right = 0; }  // panels are folded there: keep the width for data
    return {left: cap(m.left, box.width), right: cap(m.right, box.width),
            top: cap(m.top, box.height), bottom: cap(m.bottom, box.height)};
  };

  /** Fit the view to the deposits' bounds clear of the controls (no-op when it already is). */
  GP.fit = function (map) {
    var b = GP.config && GP.config.bounds;
    if (!b) { return; }
    var m = GP.controlMargins(map);
    // fit without animation: a running zoom animation would undo a later setView
    var opts = {animate: false, maxZoom: 8, paddingTopLeft: [m.left, m.top], paddingBottomRight: [m.right, m.bottom]};
    if (map._loaded && map._getBoundsCenterZoom) {  // Leaflet 1.9: what fitBounds would do
      var to = map._getBoundsCenterZoom(L.latLngBounds(b), opts);
      var off = map.latLngToContainerPoint(to.center).distanceTo(map.getSize().divideBy(2));
      if (to.zoom === map.getZoom() && off < 1) { return; }
    }
    map.fitBounds(b, opts);
  };

  /** After the layers and the layer list: the type filter, the final fit; the map is ready. */
  GP.finish = function (map) {
    typeFilter(map, !GP.smallScreen());
    GP.fit(map);
    GP.ready = true;
  };
})();
