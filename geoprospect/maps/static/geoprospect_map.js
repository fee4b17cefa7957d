/* geoprospect map runtime (written for geoprospect; MIT). Needs Leaflet 1.9 only.
 * Every text cell arrives HTML-escaped from Python (geoprospect.maps.safe) in columnar tables
 * (geoprospect.maps.columnar); this script only concatenates those escaped strings and numbers
 * it formats itself into HTML, and uses GP.decode() (the exact inverse of the escaping) for
 * plain-text comparisons. A popup's HTML is built when it opens, from its row of the table. */
(function () {
  "use strict";
  var GP = window.GP = window.GP || {};
  GP.tables = Object.create(null);
  GP.deposits = [];        // {group, layer, key, name} for every deposit marker
  GP.depositGroups = [];
  GP.types = Object.create(null);        // deposit type (escaped text) -> count
  GP.hiddenTypes = Object.create(null);
  GP.layerControls = [];
  GP.ready = false;
  GP.POPUP_PANE = "gpPopupPane";

  var ENT = {"&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#92;": "\\",
             "&#96;": "`", "&#36;": "$", "&#123;": "{", "&#125;": "}", "&amp;": "&"};
  GP.decode = function (s) {
    if (s === null || s === undefined) { return ""; }
    return String(s).replace(/&(?:lt|gt|quot|amp|#x27|#92|#96|#36|#123|#125);/g, function (m) { return ENT[m]; });
  };

  GP.smallScreen = function () {
    return !!(window.matchMedia && window.matchMedia("(max-width: 700px), (max-height: 560px)").matches);
  };
  /** The layer list starts collapsed on small screens (and when Python asked for it: many
   * layers). Registered from GP.setup, not here: an online page loads Leaflet after this script. */
  GP.watchLayerControls = function () {
    if (GP._watching) { return; }
    GP._watching = true;
    L.Control.Layers.addInitHook(function () {
      if (GP.smallScreen()) { this.options.collapsed = true; }
      GP.layerControls.push(this);
    });
  };

  /* ---- columnar tables ---- */
  function Table(p) {
    this.n = p.n; this.c = p.c || {}; this.d = p.d || {}; this.t = p.t || {};
    this.x = p.x || null; this.y = p.y || null; this.g = p.g || null; this.cn = p.cn || {};
    this.shapes = {};
  }
  Table.prototype.get = function (key, i) {
    var col = this.c[key];
    if (!col) { return null; }
    var v = col[i];
    if (v === null || v === undefined) { return null; }
    if (this.d[key]) { return this.d[key][v]; }
    if (this.t[key]) {
      var pieces = this.shapes[key] || (this.shapes[key] = this.t[key].map(function (s) { return s.split("{}"); }));
      var runs = v.split(" "), shape = pieces[Number(runs[0])], out = shape[0];
      for (var k = 1; k < shape.length; k++) { out += runs[k] + shape[k]; }
      return out;
    }
    return v;
  };
  Table.prototype.row = function (i) {
    var p = {};
    for (var key in this.c) { p[key] = this.get(key, i); }
    if (p.cc !== undefined) { p.cn = this.cn[p.cc] || null; }
    return p;
  };
  Table.prototype.geometry = function (i) {
    var g = this.g ? this.g[i] : null;
    return g || {type: "Point", coordinates: [this.x[i], this.y[i]]};
  };
  Table.prototype.features = function (from, to, keep) {
    var out = [];
    for (var i = from; i < to; i++) {
      if (!keep || keep(i)) { out.push({type: "Feature", properties: {i: i}, geometry: this.geometry(i)}); }
    }
    return out;
  };
  GP.table = function (name, payload) { GP.tables[name] = new Table(payload); };
  /** The decoded row of a drawn feature, with its table's name as `kind`. */
  GP.props = function (layer) {
    var f = layer.feature, t = layer.gpTable || (layer.gpGroup && layer.gpGroup.gpTable);
    if (!f || !t) { return null; }
    var p = GP.tables[t].row(f.properties.i);
    p.kind = t;
    return p;
  };

  /* ---- colours: the same linear ramp as geoprospect.maps.style.ramp_rgb ---- */
  function rint(v) {  // numpy's round half to even
    var f = Math.floor(v), d = v - f;
    if (d > 0.5 || (d === 0.5 && f % 2 !== 0)) { return f + 1; }
    return f;
  }
  GP.ramp = function (ramp, v) {
    if (v === null || v === undefined || !isFinite(v)) { return ramp.missing; }
    var idx = ramp.index, cs = ramp.colors, x = Math.min(Math.max(v, idx[0]), idx[idx.length - 1]);
    var k = 0;
    while (k < idx.length - 2 && x > idx[k + 1]) { k++; }
    var w = idx[k + 1] === idx[k] ? 0 : (x - idx[k]) / (idx[k + 1] - idx[k]), hex = "#";
    for (var c = 0; c < 3; c++) {
      var ch = rint((cs[k][c] + w * (cs[k + 1][c] - cs[k][c])) * 255);
      hex += (ch < 16 ? "0" : "") + ch.toString(16);
    }
    return hex;
  };
  GP.radius = function (tonnes) {  // geoprospect.maps.style.radius
    var t = (tonnes === null || tonnes === undefined || !isFinite(tonnes)) ? 0 : Math.max(tonnes, 0);
    return rint(Math.min(3 + 2.2 * Math.log10(1 + t), 18) * 10) / 10;
  };

  /* ---- popup text ---- */
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
  function name(p) { return txt(p.nm || p.id); }

  GP.depositTooltip = function (layer) {
    var p = GP.props(layer);
    return "<span class=\"gp-tip\"><b>" + (p.rk === null ? "unranked" : "#" + num(p.rk, 0)) +
      "</b> " + name(p) + "</span>";
  };

  GP.depositPopup = function (layer) {
    var p = GP.props(layer);
    var country = p.cn ? p.cn + (p.cc ? " (" + p.cc + ")" : "") : txt(p.cc);
    var h = "<div class=\"gp-popup\"><div class=\"gp-name\">" + name(p) + "</div>";
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
    if (p.pr) { h += row("Sells", txt(p.pr).replace(/_/g, " ") + (p.sb ? " · from " + p.sb : "")); }
    if (p.uc !== null && p.uc !== undefined) { h += row("Uncommitted NdPr", num(p.uc, 0, " t/yr")); }
    if (p.ap) {
      h += row("Assigned plant", p.ap + (p.as === null || p.as === undefined ? "" : " (" + num(p.as * 100, 0, " %") + ")"));
    }
    if (p.an) { h += row("Allocation", p.an); }
    if (p.vt === "conditional") { h += row("Valuation", "conditional on a deposit being there"); }
    if (p.im) { h += row("Imputed", txt(p.im)); }
    h += "</table><div class=\"gp-pillars\">" + bar("Grade", p.gs) + bar("Logistics", p.ls) +
      bar("Risk", p.rs) + "</div>";
    h += "<div class=\"gp-band\">Score band P10–P90: " + num(p.p10, 1) + " – " + num(p.p90, 1) +
      (p.pt === null ? "" : " · P(top 10) " + num(p.pt * 100, 0, " %")) + "</div>";
    if (p.fl) { h += "<div class=\"gp-flags\">Flags: " + p.fl + "</div>"; }
    h += "<div class=\"gp-route\"><b>Cheapest route (its value):</b> " + txt(p.ro) + "</div>";
    if (p.sh) {
      h += "<div class=\"gp-sheet\"><a href=\"" + p.sh + "\" target=\"_blank\" rel=\"noopener\">Deal sheet</a></div>";
    }
    h += "<div class=\"gp-source\"><b>Source:</b> " + txt(p.so) + link(p.su, "link") +
      (p.lc ? " · location confidence: " + p.lc : "") + "</div></div>";
    return h;
  };

  GP.facilityPopup = function (layer) {
    var p = GP.props(layer);
    return "<div class=\"gp-popup\"><div class=\"gp-name\">" + txt(p.nm) + "</div><table class=\"gp-facts\">" +
      row("Country", txt(p.cc)) + row("Chain stages", txt(p.st)) + row("Status", txt(p.ss)) +
      row("Operator", txt(p.op)) + row("Capacity", num(p.cap, 0) + (p.cu ? " " + p.cu : "")) +
      (p.ut === null || p.ut === undefined ? "" : row("Utilisation", num(p.ut * 100, 0, " %") +
        " after allocation")) +
      (p.sp === null || p.sp === undefined ? "" : row("Spare for third parties", num(p.sp, 0, " t/yr"))) +
      (p.al ? row("Allocated", num(p.al, 0, " t/yr") + " from the ranked deposits") : "") +
      (p.of ? row("Own feed", num(p.of, 0, " t/yr")) : "") +
      (p.ct ? row("Under contract", num(p.ct, 0, " t/yr")) : "") +
      "</table><div class=\"gp-source\"><b>Source:</b> " + txt(p.so) + link(p.su, "link") + "</div></div>";
  };

  /* ---- popups above every control: their pane lives in the map container, over the
     controls (z-index 1000), and follows the map pane's offset as the map pans ---- */
  GP.popupPane = function (map) {
    var pane = map.getPane(GP.POPUP_PANE);
    if (pane) { return pane; }
    pane = map.createPane(GP.POPUP_PANE, map.getContainer());
    pane.style.zIndex = 1100;
    var mapPane = map.getPane("mapPane");
    var sync = function () { L.DomUtil.setPosition(pane, L.DomUtil.getPosition(mapPane)); };
    map.on("move viewreset zoom zoomend moveend resize", sync);
    sync();
    return pane;
  };
  function popupOptions(map, extra) {
    GP.popupPane(map);
    var o = {pane: GP.POPUP_PANE, autoPanPaddingTopLeft: [20, 20], autoPanPaddingBottomRight: [20, 20]};
    for (var k in extra) { o[k] = extra[k]; }
    return o;
  }
  function grouped(table, group) {
    group.gpTable = table;
    group.eachLayer(function (l) { l.gpGroup = group; });
    return group;
  }

  /* ---- layers ---- */
  GP.depositLayer = function (map, table, opts) {
    var t = GP.tables[table], ramp = opts.ramp;
    var renderer = opts.canvas ? (GP._canvas = GP._canvas || L.canvas({padding: 0.5})) : undefined;
    var mine = [];
    var group = grouped(table, L.geoJSON(t.features(opts.from, opts.to), {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: GP.radius(t.get("nt", f.properties.i)), renderer: renderer});
      },
      style: function (f) {
        return {color: "#222", weight: 1, opacity: 0.9, fillColor: GP.ramp(ramp, t.get("sc", f.properties.i)),
                fillOpacity: 0.85, className: "gp-deposit"};
      },
      onEachFeature: function (f, l) {
        var key = t.get("dt", f.properties.i) || "";
        GP.types[key] = (GP.types[key] || 0) + 1;
        mine.push({group: null, layer: l, key: key, name: null});
      }
    }));
    // one popup and one tooltip shared by all deposit layers (not one object per marker)
    GP._depTip = GP._depTip || L.tooltip({direction: "top"}).setContent(GP.depositTooltip);
    var tall = Math.max(240, Math.min(560, Math.round(map.getSize().y * 0.65)));
    GP._depPopup = GP._depPopup || L.popup(popupOptions(map, {maxWidth: 340, minWidth: 260, maxHeight: tall}))
      .setContent(GP.depositPopup);
    group.bindTooltip(GP._depTip);
    group.bindPopup(GP._depPopup);
    mine.forEach(function (d) { d.group = group; GP.deposits.push(d); });
    GP.depositGroups.push(group);
    return group;
  };

  GP.facilityLayer = function (map, table, opts) {
    var t = GP.tables[table];
    var group = grouped(table, L.geoJSON(t.features(opts.from, opts.to), {
      pointToLayer: function (f, ll) {
        return L.marker(ll, {icon: L.divIcon({className: "gp-fac", iconSize: [12, 12],
          html: "<span class=\"gp-fac-" + t.get("sk", f.properties.i) + "\"></span>"})});
      }
    }));
    group.bindTooltip(function (l) { var p = GP.props(l); return txt(p.nm) + " <i>(" + txt(p.st) + ")</i>"; },
                      {direction: "top"});
    group.bindPopup(GP.facilityPopup, popupOptions(map, {maxWidth: 320}));
    return group;
  };

  GP.routeLayer = function (map, table, opts) {
    var t = GP.tables[table], styles = opts.styles;
    // canvas with a hover tolerance: thin dashed legs are easy to point at
    var renderer = L.canvas({tolerance: 6});
    var group = grouped(table, L.geoJSON(t.features(0, t.n), {
      style: function (f) {
        var s = styles[t.get("md", f.properties.i)] || styles.other;
        return {color: s.color, weight: s.weight, dashArray: s.dashArray, opacity: 0.85, renderer: renderer};
      }
    }));
    group.bindTooltip(function (l) {
      var p = GP.props(l);
      return "<b>" + txt(p.dn || p.did) + "</b> leg " + num(p.lg, 0) + ": " + txt(p.mt) + " " +
        txt(p.fr) + " → " + txt(p.to) + "<br>" + num(p.km, 0, " km") + " · " + num(p.d, 1, " days") +
        " · " + num(p.cu, 0, " USD/t") + (p.nt ? "<br><i>" + p.nt + "</i>" : "");
    }, {sticky: true});
    return group;
  };

  GP.countryLayer = function (map, table, opts) {
    var t = GP.tables[table], pane = opts.pane;
    if (pane && !map.getPane(pane)) { map.createPane(pane).style.zIndex = opts.zIndex || 200; }
    var keep = opts.choropleth ? function (i) { return t.get("v", i) !== null; } : null;
    var group = grouped(table, L.geoJSON(t.features(0, t.n, keep), {
      pane: pane, interactive: !!opts.choropleth,
      style: function (f) {
        if (opts.choropleth) {
          return {color: "#555", weight: 0.6, fillColor: GP.ramp(opts.ramp, t.get("v", f.properties.i)),
                  fillOpacity: 0.55, className: "gp-risk"};
        }
        return {color: "#8a8a8a", weight: 0.6, fillColor: "#f2efe9", fillOpacity: 1, className: "gp-land"};
      }
    }));
    if (opts.choropleth) {
      group.bindTooltip(function (l) {
        var p = GP.props(l);
        return txt(p.nm) + ": " + num(p.v, 0) + " <i>" + opts.label + "</i>";
      }, {sticky: true});
    }
    return group;
  };

  /** A deposit's cell without decoding its whole row. */
  GP.depositCell = function (d, key) {
    return GP.tables[d.group.gpTable].get(key, d.layer.feature.properties.i);
  };
  GP.depositName = function (d) { return GP.depositCell(d, "nm") || GP.depositCell(d, "id"); };

  GP.visibleDepositIds = function (map) {
    var seen = Object.create(null);
    GP.deposits.forEach(function (d) {
      if (map.hasLayer(d.layer)) { seen[GP.decode(GP.depositCell(d, "id"))] = true; }
    });
    return Object.keys(seen);
  };

})();
