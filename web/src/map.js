// The incident map: Natural Earth country shapes (bundled, nothing fetched),
// target countries coloured by count, and great-circle arcs from the
// attributed unit's home countries to each incident.
import { feature } from "topojson-client";
import { geoNaturalEarth1, geoPath, geoCentroid } from "d3-geo";
import world from "plotline:world";

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function render(root) {
  const data = JSON.parse(document.getElementById(root.dataset.source).textContent);
  const countries = feature(world, world.objects.countries).features;
  const byCode = new Map(countries.filter((f) => f.id).map((f) => [f.id, f]));
  const width = 960;
  const height = 520;

  const counts = new Map();
  const homes = new Set();
  for (const inc of data.incidents) {
    counts.set(inc.target, (counts.get(inc.target) || 0) + 1);
    for (const u of inc.units) for (const h of u.home) homes.add(h);
  }
  const max = Math.max(1, ...counts.values());

  const focus = [...new Set([...counts.keys(), ...homes])].map((c) => byCode.get(c)).filter(Boolean);
  const projection = geoNaturalEarth1();
  if (data.extent === "world" || focus.length === 0) {
    projection.fitSize([width, height], { type: "Sphere" });
  } else {
    projection.fitExtent([[20, 20], [width - 20, height - 20]], { type: "FeatureCollection", features: focus });
  }
  const path = geoPath(projection);

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "map-title map-desc", class: "map" });
  el("title", { id: "map-title" }, svg).textContent = data.title;
  el("desc", { id: "map-desc" }, svg).textContent = data.description;
  el("path", { d: path({ type: "Sphere" }), class: "sea" }, svg);
  const land = el("g", { class: "countries" }, svg);
  for (const f of countries) {
    const n = counts.get(f.id) || 0;
    const cls = n > 0 ? "country target" : homes.has(f.id) ? "country home" : "country";
    const p = el("path", { d: path(f) || "", class: cls, "data-country": f.id || "" }, land);
    if (n > 0) p.style.fillOpacity = String(0.25 + 0.75 * (n / max));
    el("title", {}, p).textContent = n > 0 ? `${f.properties.name}: ${n} incident${n === 1 ? "" : "s"}` : f.properties.name;
  }

  const point = (inc) => {
    if (inc.lon != null && inc.lat != null) return [inc.lon, inc.lat];
    const f = byCode.get(inc.target);
    return f ? geoCentroid(f) : null;
  };
  const arcs = el("g", { class: "arcs" }, svg);
  const marks = el("g", { class: "marks" }, svg);
  for (const inc of data.incidents) {
    const to = point(inc);
    if (!to) continue;
    for (const u of inc.units) {
      for (const h of u.home) {
        const f = byCode.get(h);
        if (!f || h === inc.target) continue;
        const d = path({ type: "LineString", coordinates: [geoCentroid(f), to] });
        if (d) el("path", { d, class: inc.related ? "arc related" : "arc" }, arcs);
      }
    }
    const xy = projection(to);
    if (!xy) continue;
    const a = el("a", { href: inc.href, class: "mark", "data-incident": inc.id }, marks);
    el("circle", { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: 5, class: inc.kind }, a);
    el("title", {}, a).textContent = `${inc.date} ${inc.title} (${inc.kind}; ${inc.units.map((u) => u.name).join(", ") || "no counted unit"})`;
  }
  root.replaceChildren(svg);
  root.dataset.rendered = String(data.incidents.length);
}

document.querySelectorAll("[data-map]").forEach(render);
