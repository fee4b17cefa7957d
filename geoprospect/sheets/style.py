"""The deal sheet's stylesheet: one A4 page (210 × 297 mm, no printer margins) at 100 % scale.

The page box is fixed (``.sheet``: 210 × 296 mm, a millimetre short of A4 so rounding never
spills a blank second page); long texts are clamped to a few lines (``.clamp``), tables and
charts have fixed widths, the map a fixed height. On screen the page sits on a grey desk.
"""

SHEET_CSS = """
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font: 7pt/1.25 "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1d1d1d;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.sheet { width: 210mm; height: 296mm; padding: 7mm 8mm 5mm; overflow: hidden; display: flex;
  flex-direction: column; gap: 2mm; background: #fff; }
@media screen { body { background: #d9d9d9; }
  .sheet { margin: 8px auto; box-shadow: 0 1px 6px rgba(0,0,0,.35); } }
h1 { font-size: 14pt; margin: 0; line-height: 1.15; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; max-width: 118mm; }
h2 { font-size: 8pt; margin: 0 0 1mm; padding-bottom: .4mm; border-bottom: .3mm solid #2b8cbe;
  color: #08519c; }
h3 { font-size: 7pt; margin: 1.2mm 0 .5mm; color: #333; }
header { display: flex; justify-content: space-between; gap: 4mm; border-bottom: .6mm solid #08519c;
  padding-bottom: 1.5mm; }
header .sub { color: #444; margin-top: .6mm; max-width: 118mm; overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis; }
.badges { margin-top: .8mm; min-height: 3.4mm; }
.flag { display: inline-block; background: #fde0dd; color: #8b0000; border-radius: 1mm; padding: 0 1.2mm;
  margin-right: 1mm; font-size: 6.5pt; }
.headline { text-align: right; min-width: 66mm; }
.headline .npv { font-size: 12pt; font-weight: bold; color: #08519c; }
.headline .npv small { font-size: 6.5pt; font-weight: normal; color: #444; }
.headline .cond { display: block; color: #8b0000; font-size: 6.5pt; }
.cols { display: grid; grid-template-columns: 95mm 95mm; column-gap: 4mm; }
section { min-width: 0; }
table { border-collapse: collapse; width: 100%; }
table.kv th { text-align: left; font-weight: normal; color: #555; width: 32mm; vertical-align: top;
  padding: .15mm 1.5mm .15mm 0; white-space: nowrap; }
table.kv td { vertical-align: top; padding: .15mm 0; }
.assumptions table.kv th { width: 27mm; }
.assumptions td.why { color: #666; font-size: 6pt; width: 38mm; max-width: 38mm; }
table.grid th, table.grid td { text-align: left; padding: .2mm 1.5mm .2mm 0; border-bottom: .1mm solid #ddd; }
table.grid th { color: #555; font-weight: normal; }
.clamp { display: -webkit-box; -webkit-box-orient: vertical; overflow: hidden; word-break: break-word; }
.clamp.l1 { -webkit-line-clamp: 1; } .clamp.l2 { -webkit-line-clamp: 2; } .clamp.l3 { -webkit-line-clamp: 3; }
td > .clamp { display: -webkit-inline-box; vertical-align: top; }
sup.cite { color: #08519c; font-size: 5.5pt; margin-left: .4mm; line-height: 0; }
table.kv2 th { text-align: left; font-weight: normal; color: #555; white-space: nowrap;
  padding: .15mm 1.2mm .15mm 0; width: 20mm; }
table.kv2 td { padding: .15mm 2mm .15mm 0; white-space: nowrap; }
.scenarios { margin-top: 1.5mm; }
figure.chart { margin: 0; }
figure.chart svg { display: block; width: 100%; height: auto; }
.pillars { color: #333; margin: .4mm 0 1mm; }
.pillars span { margin-right: 1.5mm; }
#gp-sheet-map { width: 95mm; height: 56mm; border: .2mm solid #bbb; background: #cfe3f0; }
.nomap { width: 95mm; height: 12mm; border: .2mm dashed #bbb; color: #777; padding: 3mm; }
.route .plant, .route .totals { margin-top: .8mm; }
.route #route-summary { margin-top: .6mm; color: #333; }
.blocked { color: #8b0000; font-weight: bold; }
.note { color: #666; font-size: 6pt; margin: .4mm 0 0; }
ul.offtakes { margin: 0; padding-left: 3.5mm; }
ul.offtakes li > .clamp { display: -webkit-inline-box; max-width: 84mm; vertical-align: top; }
.scenarios .none { color: #555; margin: 0; }
.sources ol { list-style: none; margin: 0; padding: 0; column-count: 2; column-gap: 4mm; }
.sources li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #444; font-size: 6pt; }
.sources a { color: #08519c; }
footer { margin-top: auto; color: #777; font-size: 6pt; border-top: .2mm solid #ccc; padding-top: .8mm; }
.leaflet-container { font: 6pt/1.2 "DejaVu Sans", Arial, sans-serif; }
.leaflet-control-attribution { font-size: 5.5pt; }
"""
