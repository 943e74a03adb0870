// The bundle-size report: every file of the built bundle (target/site/pkg) raw, gzip and
// brotli — the bytes the server sends, from the .gz / .br copies the release build wrote
// (compressed here, gzip -9 / brotli 11, when there are none) — and what each page
// downloads on its first load (the main module, the split loader, and the chunks the
// code-splitting manifest lists for the page's route). Checks the budgets: the first load
// of /pipeline at most 300 KB of wasm + JS (brotli), no page more than 400 KB.
//
//   node bench/bundle-report.mjs [site/pkg dir] [--markdown out.md] [--check]
//
// With --check, exits 1 when a budget is exceeded (or a page has no chunk of its own).
import { readFileSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const args = process.argv.slice(2);
const mdAt = args.indexOf("--markdown");
const mdOut = mdAt >= 0 ? args[mdAt + 1] : null;
const pkg = args.find((a, i) => !a.startsWith("--") && (mdAt < 0 || i !== mdAt + 1)) ?? new URL("../../target/site/pkg", import.meta.url).pathname;

const BUDGET_PIPELINE = 300 * 1024;
const BUDGET_PAGE = 400 * 1024;

// Each page and the chunk its code is in (the `lazy_pages!` groups in app/src/app.rs).
const PAGES = [
  ["/pipeline", "board_page"],
  ["/", "sales_pages"],
  ["/clients", "sales_pages"],
  ["/clients/<id>", "sales_pages"],
  ["/projects", "sales_pages"],
  ["/projects/<id>", "project_page"],
  ["/capacity", "planner_page"],
  ["/time", "time_page"],
  ["/data", "admin_pages"],
  ["/settings/users", "admin_pages"],
  ["/settings/roles", "admin_pages"],
  ["/settings/audit", "admin_pages"],
  ["/settings/workspace", "admin_pages"],
  ["/bench/engine", "admin_pages"],
  ["/login", "public_pages"],
  ["/share/<token>", "public_pages"],
];
// Parts a page loads only when asked (a deal's drawer, the close dialog).
const ON_DEMAND = [
  ["deal drawer (/pipeline?deal=…)", "drawer"],
  ["close dialog (/pipeline?close=…)", "dialog"],
];

const sizes = new Map();
function size(name) {
  if (sizes.has(name)) return sizes.get(name);
  const path = join(pkg, name);
  const raw = readFileSync(path);
  const copy = (suffix, make) => (existsSync(`${path}.${suffix}`) ? readFileSync(`${path}.${suffix}`).length : make(raw).length);
  const s = {
    raw: raw.length,
    gzip: copy("gz", (b) => gzipSync(b, { level: 9 })),
    br: copy("br", (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
  };
  sizes.set(name, s);
  return s;
}

const files = readdirSync(pkg).filter((f) => /\.(wasm|js|css)$/.test(f)).sort((a, b) => size(b).br - size(a).br);
const kb = (n) => (n / 1024).toFixed(1);
const lines = [];
const out = (s = "") => lines.push(s);

out("| file | raw KB | gzip KB | brotli KB |");
out("|---|---:|---:|---:|");
const total = { raw: 0, gzip: 0, br: 0 };
// The shared chunks (code two or more lazily loaded parts use) are many and small: one row.
const shared = { raw: 0, gzip: 0, br: 0, count: 0, largest: 0, small: 0 };
for (const f of files) {
  const s = size(f);
  for (const k of Object.keys(total)) total[k] += s[k];
  if (/^chunk_\d+\.wasm$/.test(f)) {
    for (const k of Object.keys(total)) shared[k] += s[k];
    shared.count += 1;
    shared.largest = Math.max(shared.largest, s.br);
    if (s.br < 1024) shared.small += 1;
    continue;
  }
  out(`| ${f} | ${kb(s.raw)} | ${kb(s.gzip)} | ${kb(s.br)} |`);
}
if (shared.count) {
  out(`| chunk_*.wasm: ${shared.count} shared chunks (largest ${kb(shared.largest)} KB brotli, ${shared.small} under 1 KB) | ${kb(shared.raw)} | ${kb(shared.gzip)} | ${kb(shared.br)} |`);
}
out(`| **all files** | ${kb(total.raw)} | ${kb(total.gzip)} | ${kb(total.br)} |`);

const manifestPath = join(pkg, "__wasm_split_manifest.json");
const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : null;
const loader = files.find((f) => f.startsWith("__wasm_split") && f.endsWith(".js"));
const main = ["baton.js", "baton.wasm"];

out();
out("What each page downloads on its first load (wasm + JS; the stylesheet, " + kb(size("baton.css").br) + " KB brotli, comes with every page):");
out();
out("| page | what it downloads | requests | raw KB | gzip KB | brotli KB | budget (brotli) |");
out("|---|---|---:|---:|---:|---:|---|");
let failed = false;
const keysOf = (name) => (manifest ? Object.keys(manifest).filter((k) => new RegExp(`^${name}_\\d+$`).test(k)) : []);
const filesOf = (name) => keysOf(name).flatMap((k) => manifest[k].map((m) => `${m}.wasm`));
const sumOf = (files) => {
  const sum = { raw: 0, gzip: 0, br: 0 };
  for (const f of files) for (const k of Object.keys(sum)) sum[k] += size(f)[k];
  return sum;
};
const describe = (files) => {
  const split = [...files].filter((f) => f.startsWith("split_")).map((f) => f.replace(/^split_(.*)_\d+\.wasm$/, "$1"));
  const shared = [...files].filter((f) => f.startsWith("chunk_")).length;
  const parts = [...files].filter((f) => f === "baton.wasm").length ? ["main module"] : [];
  if ([...files].some((f) => f.startsWith("__wasm_split"))) parts.push("loader");
  parts.push(...split);
  if (shared) parts.push(`${shared} shared chunks`);
  return parts.join(" + ");
};
const pageFiles = new Map();
for (const [page, group] of PAGES) {
  const files = new Set(main);
  if (manifest) {
    if (keysOf(group).length === 0) {
      console.error(`no chunk in the manifest for ${group} (${page})`);
      failed = true;
    }
    if (loader) files.add(loader);
    for (const f of filesOf(group)) files.add(f);
  }
  pageFiles.set(page, files);
  const sum = sumOf(files);
  const budget = page === "/pipeline" ? BUDGET_PIPELINE : BUDGET_PAGE;
  const ok = sum.br <= budget;
  if (!ok) failed = true;
  out(`| ${page} | ${describe(files)} | ${files.size} | ${kb(sum.raw)} | ${kb(sum.gzip)} | ${kb(sum.br)} | ${ok ? "✓" : "✗"} ≤ ${budget / 1024} |`);
}
if (manifest) {
  out();
  out("Downloaded later, when asked for, on top of the page:");
  out();
  out("| part | what it adds | requests | raw KB | gzip KB | brotli KB |");
  out("|---|---|---:|---:|---:|---:|");
  const board = pageFiles.get("/pipeline");
  for (const [part, name] of ON_DEMAND) {
    const extra = new Set(filesOf(name).filter((f) => !board.has(f)));
    if (keysOf(name).length === 0) {
      console.error(`no chunk in the manifest for ${name} (${part})`);
      failed = true;
    }
    const sum = sumOf(extra);
    out(`| ${part} | ${describe(extra)} | ${extra.size} | ${kb(sum.raw)} | ${kb(sum.gzip)} | ${kb(sum.br)} |`);
  }
}

if (manifest) {
  // What a page costs the whole app: the chunk only its group uses (a new page in a group
  // of its own adds about that much, plus its share of chunks it shares with others).
  out();
  const code = files.filter((f) => /\.(wasm|js)$/.test(f));
  const all = sumOf(code);
  out(`The whole app (every wasm and JS file): ${kb(all.raw)} KB raw, ${kb(all.gzip)} KB gzip, ${kb(all.br)} KB brotli. What each group of pages adds to it on its own (its own chunk):`);
  out();
  out("| group | pages | own chunk brotli KB |");
  out("|---|---|---:|");
  const groups = [...new Set(PAGES.map(([, g]) => g))];
  for (const g of groups) {
    const own = filesOf(g).filter((f) => f.startsWith("split_"));
    out(`| ${g} | ${PAGES.filter(([, x]) => x === g).map(([p]) => p).join(", ")} | ${kb(sumOf(own).br)} |`);
  }
}

const report = lines.join("\n");
console.log(report);
if (mdOut) writeFileSync(mdOut, report + "\n");
if (failed) {
  console.error("\nover budget (or a page without its chunk): see above");
  if (args.includes("--check")) process.exit(1);
}
