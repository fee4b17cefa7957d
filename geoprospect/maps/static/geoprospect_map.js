/* geoprospect map runtime (written for geoprospect; MIT). Needs Leaflet 1.9 only.
 * Every text property arrives HTML-escaped from Python (geoprospect.maps.safe); this script
 * only concatenates those escaped strings and numbers it formats itself into HTML, and uses
 * GP.decode() (the exact inverse of the escaping) for plain-text comparisons and textContent. */
(function () {
  "use strict";
  var GP = window.GP = window.GP || {};
  GP.deposits = [];        // {group, layer, key} for every deposit marker
  GP.depositGroups = [];
  GP.types = Object.create(null);        // deposit type (escaped text) -> count
  GP.hiddenTypes = Object.create(null);
  GP.ready = false;

  var ENT = {"&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#92;": "\\",
             "&#96;": "`", "&#36;": "$", "&#123;": "{", "&#125;": "}", "&amp;": "&"};
  GP.decode = function (s) {
    if (s === null || s === undefined) { return ""; }
    return String(s).replace(/&(?:lt|gt|quot|amp|#x27|#92|#96|#36|#123|#125);/g, function (m) { return ENT[m]; });
  };

  function num(v, d, unit) {
    if (v === null || v === undefined || !isFinite(v)) { return "—"; }
    return Number(v).toLocaleString("en", {minimumFractionDigits: d, maximumFractionDigits: d}) +
      (unit || "");
  }
  function txt(v) { return (v === null || v === undefined || v === "") ? "—" : v; }
  function row(label, value) { return "<tr><th>" + label + "</th><td>" + value + "</td></tr>"; }
  function bar(label, v) {
    var w = (v === null || v === undefined) ? 0 : Math.max(0, Math.min(100, Number(v)));
    return "<div class=\"gp-pillar\"><span class=\"gp-pl\">" + label + "</span>" +
      "<span class=\"gp-bar\"><span style=\"width:" + w.toFixed(0) + "%\"></span></span>" +
      "<span class=\"gp-pv\">" + num(v, 0) + "</span></div>";
  }
  function link(url, label) {
    return url ? " <a href=\"" + url + "\" target=\"_blank\" rel=\"noopener noreferrer\">" + label + "</a>" : "";
  }

  GP.features = function (payload) {
    var cols = payload.cols, rows = payload.rows, out = new Array(rows.length);
    var dicts = payload.dicts || {}, lookup = cols.map(function (c) { return dicts[c] || null; });
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], p = {};
      for (var j = 1; j < cols.length; j++) {
        var v = r[j];
        p[cols[j]] = (lookup[j] !== null && v !== null) ? lookup[j][v] : v;
      }
      var g = r[0];
      out[i] = {type: "Feature", properties: p,
                geometry: Array.isArray(g) ? {type: "Point", coordinates: g} : g};
    }
    return out;
  };

  GP.depositTooltip = function (layer) {
    var p = layer.feature.properties;
    return "<span class=\"gp-tip\"><b>" + (p.rk === null ? "unranked" : "#" + num(p.rk, 0)) +
      "</b> " + txt(p.nm) + "</span>";
  };

  GP.depositPopup = function (layer) {
    var p = layer.feature.properties;
    var country = p.cn ? p.cn + (p.cc ? " (" + p.cc + ")" : "") : txt(p.cc);
    var h = "<div class=\"gp-popup\"><div class=\"gp-name\">" + txt(p.nm) + "</div>";
    h += "<div class=\"gp-sub\">Rank " + (p.rk === null ? "—" : "#" + num(p.rk, 0)) +
      " · score " + num(p.sc, 1) + "</div><table class=\"gp-facts\">";
    h += row("Country", country + (p.a1 ? ", " + p.a1 : ""));
    h += row("Type", txt(p.dt)) + row("Stage", txt(p.st)) + row("Minerals", txt(p.mi));
    h += row("Grade", num(p.tr, 2, " % TREO")) + row("Tonnage", num(p.mt, 2, " Mt"));
    h += row("NdPr share", num(p.nd, 1, " % of TREO")) + row("Contained NdPr", num(p.nt, 0, " t"));
    h += row("NdPr oxide", num(p.ox, 0, " t/yr")) + row("Capex", num(p.cx, 0, " USD M"));
    h += row("NPV P10 / P50 / P90", num(p.v10, 0) + " / " + num(p.v50, 0) + " / " + num(p.v90, 0) + " USD M");
    h += row("Value vs reference", "grade " + num(p.vg, 0) + " · logistics " + num(p.vl, 0) +
      " · risk " + num(p.vr, 0) + " USD M");
    if (p.vt === "conditional") { h += row("Valuation", "conditional on a deposit being there"); }
    if (p.im) { h += row("Imputed", txt(p.im)); }
    h += "</table><div class=\"gp-pillars\">" + bar("Grade", p.gs) + bar("Logistics", p.ls) +
      bar("Risk", p.rs) + "</div>";
    h += "<div class=\"gp-band\">Score band P10–P90: " + num(p.p10, 1) + " – " + num(p.p90, 1) +
      (p.pt === null ? "" : " · P(top 10) " + num(p.pt * 100, 0, " %")) + "</div>";
    if (p.fl) { h += "<div class=\"gp-flags\">Flags: " + p.fl + "</div>"; }
    h += "<div class=\"gp-route\"><b>Best route:</b> " + txt(p.ro) + "</div>";
    h += "<div class=\"gp-source\"><b>Source:</b> " + txt(p.so) + link(p.su, "link") +
      (p.lc ? " · location confidence: " + p.lc : "") + "</div></div>";
    return h;
  };

  GP.depositLayer = function (map, payload, opts) {
    var renderer = opts.canvas ? (GP._canvas = GP._canvas || L.canvas({padding: 0.5})) : undefined;
    var mine = [];
    var group = L.geoJSON(GP.features(payload), {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: f.properties.r, renderer: renderer});
      },
      style: function (f) {
        return {color: "#222", weight: 1, opacity: 0.9, fillColor: f.properties.c, fillOpacity: 0.85,
                className: "gp-deposit"};
      },
      onEachFeature: function (f, l) {
        var key = f.properties.dt || "";
        GP.types[key] = (GP.types[key] || 0) + 1;
        mine.push({group: null, layer: l, key: key, name: null});
      }
    });
    // one popup and one tooltip shared by all deposit layers (not one object per marker)
    GP._depTip = GP._depTip || L.tooltip({direction: "top"}).setContent(GP.depositTooltip);
    GP._depPopup = GP._depPopup || L.popup({maxWidth: 340, minWidth: 260, maxHeight: 420,
                                       autoPanPaddingTopLeft: [60, 90]})
      .setContent(GP.depositPopup);
    group.bindTooltip(GP._depTip);
    group.bindPopup(GP._depPopup);
    mine.forEach(function (d) { d.group = group; GP.deposits.push(d); });
    GP.depositGroups.push(group);
    return group;
  };

  GP.facilityLayer = function (map, payload, opts) {
    return L.geoJSON(GP.features(payload), {
      pointToLayer: function (f, ll) {
        return L.marker(ll, {icon: L.divIcon({className: "gp-fac", iconSize: [12, 12],
          html: "<span class=\"gp-fac-" + f.properties.sk + "\"></span>"})});
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(txt(p.nm) + " <i>(" + txt(p.st) + ")</i>", {direction: "top"});
        l.bindPopup("<div class=\"gp-popup\"><div class=\"gp-name\">" + txt(p.nm) + "</div><table class=\"gp-facts\">" +
          row("Country", txt(p.cc)) + row("Chain stages", txt(p.st)) + row("Status", txt(p.ss)) +
          row("Operator", txt(p.op)) + row("Capacity", num(p.cap, 0) + (p.cu ? " " + p.cu : "")) +
          "</table><div class=\"gp-source\"><b>Source:</b> " + txt(p.so) + link(p.su, "link") + "</div></div>",
          {maxWidth: 320});
      }
    });
  };

  GP.routeLayer = function (map, payload, opts) {
    var styles = opts.styles;
    // canvas with a hover tolerance: thin dashed legs are easy to point at
    var renderer = L.canvas({tolerance: 6});
    return L.geoJSON(GP.features(payload), {
      style: function (f) {
        var s = styles[f.properties.md] || styles.other;
        return {color: s.color, weight: s.weight, dashArray: s.dashArray, opacity: 0.85, renderer: renderer};
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip("<b>" + txt(p.dn || p.did) + "</b> leg " + num(p.lg, 0) + ": " + txt(p.mt) + " " +
          txt(p.fr) + " → " + txt(p.to) + "<br>" + num(p.km, 0, " km") + " · " + num(p.d, 1, " days") +
          " · " + num(p.cu, 0, " USD/t") + (p.nt ? "<br><i>" + p.nt + "</i>" : ""), {sticky: true});
      }
    });
  };

  GP.countryLayer = function (map, payload, opts) {
    var pane = opts.pane;
    if (pane && !map.getPane(pane)) { map.createPane(pane).style.zIndex = opts.zIndex || 200; }
    return L.geoJSON(GP.features(payload), {
      pane: pane, interactive: !!opts.choropleth,
      style: function (f) {
        if (opts.choropleth) {
          return {color: "#555", weight: 0.6, fillColor: f.properties.c, fillOpacity: 0.55, className: "gp-risk"};
        }
        return {color: "#8a8a8a", weight: 0.6, fillColor: "#f2efe9", fillOpacity: 1, className: "gp-land"};
      },
      onEachFeature: opts.choropleth ? function (f, l) {
        var p = f.properties;
        l.bindTooltip(txt(p.nm) + ": " + num(p.v, 0) + " <i>" + opts.label + "</i>", {sticky: true});
      } : undefined
    });
  };

  GP.visibleDepositIds = function (map) {
    var seen = Object.create(null);
    GP.deposits.forEach(function (d) {
      if (map.hasLayer(d.layer)) { seen[GP.decode(d.layer.feature.properties.id)] = true; }
    });
    return Object.keys(seen);
  };

  function applyTypeFilter() {
    GP.deposits.forEach(function (d) {
      var hide = GP.hiddenTypes[d.key] === true, has = d.group.hasLayer(d.layer);
      if (hide && has) { d.group.removeLayer(d.layer); }
      if (!hide && !has) { d.group.addLayer(d.layer); }
    });
  }

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

  function typeFilter(map) {
    var keys = Object.keys(GP.types).sort();
    if (keys.length < 2) { return; }
    var h = "<div class=\"gp-h\">Deposit type</div>";
    keys.forEach(function (k, i) {
      h += "<label><input type=\"checkbox\" checked data-i=\"" + i + "\"> " + (k || "unknown") +
        " <span class=\"gp-n\">(" + GP.types[k] + ")</span></label>";
    });
    var div = control(map, "bottomleft", "gp-types", h);
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
    input.addEventListener("focus", function () {
      if (filled) { return; }
      filled = true;
      var seen = Object.create(null), opts = [];
      for (var i = 0; i < GP.deposits.length && opts.length < 5000; i++) {
        var nm = GP.deposits[i].layer.feature.properties.nm;
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
        if (d.name === null) { d.name = GP.decode(d.layer.feature.properties.nm).toLowerCase(); }
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
    // fit without animation: a running zoom animation would undo a later setView
    if (cfg.bounds) { map.fitBounds(cfg.bounds, {animate: false, maxZoom: 8}); }
    var title = L.DomUtil.create("div", "gp-title", map.getContainer());
    title.innerHTML = cfg.title;
    L.DomEvent.disableClickPropagation(title);
    control(map, "bottomright", "gp-legend", cfg.legend);
    if (cfg.attribution) { map.attributionControl.addAttribution(cfg.attribution); }
    searchBox(map);
    fullscreen(map);
    typeFilter(map);
    GP.map = map;
    GP.ready = true;
  };
})();
