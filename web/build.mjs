// Builds Plotline's browser assets into internal/web/static/dist, which is
// committed and embedded by the Go binary (go build needs no Node).
//
//   node build.mjs          write the bundle
//   node build.mjs --check  rebuild in memory and fail if the committed bundle differs
//
// The world basemap is Natural Earth 1:110m from the world-atlas package; its
// ISO 3166-1 numeric IDs are rewritten to alpha-3 (Plotline's country codes)
// at build time with i18n-iso-countries, so the browser ships no code table.
import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import countries from "i18n-iso-countries";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, "..", "internal", "web", "static", "dist");
const check = process.argv.includes("--check");

function worldModule() {
  const topo = JSON.parse(readFileSync(path.join(here, "node_modules", "world-atlas", "countries-110m.json"), "utf8"));
  for (const g of topo.objects.countries.geometries) {
    const a3 = g.id ? countries.numericToAlpha3(g.id) : undefined;
    g.id = a3 || "";
    g.properties = { name: g.properties.name };
  }
  delete topo.objects.land;
  return "export default " + JSON.stringify(topo) + ";\n";
}

const worldPlugin = {
  name: "world",
  setup(build) {
    build.onResolve({ filter: /^plotline:world$/ }, () => ({ path: "world", namespace: "plotline" }));
    build.onLoad({ filter: /.*/, namespace: "plotline" }, () => ({ contents: worldModule(), loader: "js" }));
  },
};

const options = {
  absWorkingDir: here,
  entryPoints: { app: "src/app.js", map: "src/map.js", style: "src/style.css" },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  legalComments: "eof",
  outdir,
  write: !check,
  plugins: [worldPlugin],
  logLevel: "warning",
};

const result = await esbuild.build(options);
if (check) {
  let stale = 0;
  for (const f of result.outputFiles) {
    let committed = "";
    try {
      committed = readFileSync(f.path, "utf8");
    } catch {
      committed = null;
    }
    if (committed !== f.text) {
      console.error(`stale: ${path.relative(path.join(here, ".."), f.path)} differs from a fresh build; run: cd web && npm ci && npm run build`);
      stale++;
    }
  }
  if (stale > 0) process.exit(1);
  console.log(`bundle up to date (${result.outputFiles.length} files)`);
}
