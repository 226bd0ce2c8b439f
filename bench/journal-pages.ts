// Diagnostic: how much of a backup's journal is the same bytes written again. Reads DEST/.hb/journal and
// prints its WRITE bytes, the bytes of distinct (file, offset, length) writes, and the distinct 16 KiB pages
// written, in all and for the files with the most. If the distinct pages were much fewer than the bytes, a
// journal of ranges (the copier reading each range back once) would also save I/O; if not, it would only move
// the copy into the ring out of the server's threads. Usage: bun run bench/journal-pages.ts DEST
import { join } from "node:path";
import { RecType } from "../src/journal/format";
import { contentRecords, validateJournal } from "../src/journal/reader";

const PAGE = 16384;
const journal = join(process.argv[2] ?? ".", ".hb/journal");
validateJournal(journal);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const files = new Map<string, { bytes: number; writes: number; pages: Set<number> }>();
const distinct = new Map<string, number>();
let bytes = 0;
let writes = 0;
for (const r of contentRecords(journal)) {
  if (r.type !== RecType.WRITE) continue;
  bytes += r.count;
  writes++;
  distinct.set(`${r.ident}:${r.off}:${r.count}`, r.count);
  let f = files.get(r.ident);
  if (!f) files.set(r.ident, (f = { bytes: 0, writes: 0, pages: new Set() }));
  f.bytes += r.count;
  f.writes++;
  for (let p = Math.floor(r.off / PAGE); p * PAGE < r.off + r.count; p++) f.pages.add(p);
}
const distinctBytes = [...distinct.values()].reduce((a, b) => a + b, 0);
const pages = [...files.values()].reduce((a, f) => a + f.pages.size, 0);
console.log(`${writes} writes, ${mib(bytes)}; distinct (file, offset, length): ${distinct.size}, ${mib(distinctBytes)}; distinct 16 KiB pages: ${pages}, ${mib(pages * PAGE)}`);
for (const [ident, f] of [...files].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 10))
  console.log(`  ${ident}: ${f.writes} writes, ${mib(f.bytes)}, ${f.pages.size} pages`);
