/**
 * What a V8 heap snapshot holds, by constructor: `npx tsx bench/scale/heap-summary.ts FILE [FILE2]`.
 * With two files, the growth from the first to the second. Self sizes only (no retained sizes): enough
 * to see which kind of object piles up; the retainer chain is then read in DevTools.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function summarize(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    const name = type === "object" || type === "closure" ? s.strings[s.nodes[i + iName]!]! : `(${type})`;
    const key = `${type}:${name}`.slice(0, 100);
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

const [a, b] = process.argv.slice(2);
if (!a) throw new Error("usage: heap-summary.ts FILE [LATER_FILE]");
const first = summarize(a);
const rows = b
  ? [...summarize(b)].map(([k, v]) => {
      const f = first.get(k) ?? { count: 0, bytes: 0 };
      return { k, count: v.count - f.count, bytes: v.bytes - f.bytes, total: v.bytes };
    })
  : [...first].map(([k, v]) => ({ k, count: v.count, bytes: v.bytes, total: v.bytes }));
const total = rows.reduce((n, r) => n + r.total, 0);
console.log(`total self size ${(total / 2 ** 20).toFixed(1)} MiB`);
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, 30)) {
  console.log(`${(r.bytes / 2 ** 20).toFixed(2).padStart(8)} MiB ${String(r.count).padStart(9)}  ${r.k}`);
}
