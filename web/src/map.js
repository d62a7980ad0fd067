// The incident map: Natural Earth country shapes (bundled, nothing fetched),
// target countries coloured by count, and great-circle arcs from the
// attributed unit's home countries to each incident.
import { feature } from "topojson-client";
import { geoNaturalEarth1, geoPath, geoCentroid, geoArea } from "d3-geo";
import world from "plotline:world";

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// mainland returns a country's largest polygon, so that overseas territories
// (French Guiana, Alaska's islands) do not drag its centre into the ocean.
function mainland(f) {
  if (f.geometry.type !== "MultiPolygon") return f;
  let best = null;
  let area = -1;
  for (const coords of f.geometry.coordinates) {
    const g = { type: "Polygon", coordinates: coords };
    const a = geoArea(g);
    if (a > area) [best, area] = [g, a];
  }
  return best;
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

  const centre = new Map();
  const centreOf = (code) => {
    if (!centre.has(code)) {
      const f = byCode.get(code);
      centre.set(code, f ? geoCentroid(mainland(f)) : null);
    }
    return centre.get(code);
  };
  const point = (inc) => (inc.lon != null && inc.lat != null ? [inc.lon, inc.lat] : centreOf(inc.target));

  // "Countries involved" frames the incidents and the units' home countries
  // (their points, not whole shapes: Russia's or France's full extent would
  // zoom out to the world).
  const focus = [];
  for (const inc of data.incidents) {
    const p = point(inc);
    if (p) focus.push(p);
    for (const u of inc.units) for (const h of u.home) if (centreOf(h)) focus.push(centreOf(h));
  }
  const projection = geoNaturalEarth1();
  if (data.extent === "world" || focus.length < 2) {
    projection.fitSize([width, height], { type: "Sphere" });
  } else {
    projection.fitExtent([[90, 60], [width - 90, height - 60]], { type: "MultiPoint", coordinates: focus });
  }
  const path = geoPath(projection);

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "group", "aria-labelledby": "map-title", "aria-describedby": "map-desc", class: "map" });
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

  const arcs = el("g", { class: "arcs" }, svg);
  const marks = el("g", { class: "marks" }, svg);
  for (const inc of data.incidents) {
    const to = point(inc);
    if (!to) continue;
    for (const u of inc.units) {
      for (const h of u.home) {
        const from = centreOf(h);
        if (!from || h === inc.target) continue;
        const d = path({ type: "LineString", coordinates: [from, to] });
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
