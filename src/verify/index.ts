// hb verify DEST: a prepared backup is checked against the hashes its prepare recorded; a backup not yet
// prepared has its journal validated and its copies checked against the manifest. Exit 11 on a difference.
import { resolve } from "node:path";
import { copyProblem } from "../copy/check";
import { refuseInUse } from "../dest/in-use";
import { HbError } from "../errors";
import { validateJournal } from "../journal/reader";
import { log } from "../log";
import { readManifest, readState, recordPath, type Manifest } from "../dest";
import { algoOf, compareHashes, hashTree, readHashes } from "./hashes";

export interface VerifyResult {
  dest: string;
  state: string;
  checked: number;
  tables?: number; // checked by --server
  problems: string[];
}

export async function verifyBackup(destArg: string, o: { throttleBytesPerSec?: number; server?: boolean } = {}): Promise<VerifyResult> {
  const dest = resolve(destArg);
  const state = readState(dest);
  if (state !== undefined) refuseInUse(dest, "verify"); // what a process changes meanwhile cannot be checked
  if (state === "prepared") {
    const want = readHashes(dest);
    if (!want) throw new HbError("damaged", `${dest}: its hash list (${recordPath(dest, "hashes")}) is missing or unreadable: nothing to verify against`);
    const problems = compareHashes(want, hashTree(dest, o.throttleBytesPerSec, algoOf(want)));
    let tables: number | undefined;
    if (o.server && !problems.length) {
      const { checkTables } = await import("./server");
      const checked = await checkTables(dest);
      tables = checked.tables;
      problems.push(...checked.problems);
    }
    return report({ dest, state, checked: Object.keys(want).length, tables, problems });
  }
  if (o.server) throw new HbError("usage", "--server checks a prepared backup: run hb prepare first");
  if (state !== "complete") throw new HbError("damaged", `${dest} is not a finished backup (state: ${state ?? "none"})`);
  const manifest = readManifest(dest);
  validateJournal(recordPath(dest, "journal")); // throws, naming the offset, if damaged
  const problems: string[] = [];
  const pathOf = listedPaths(manifest);
  for (const c of manifest.copies) {
    const problem = copyProblem(dest, c);
    if (problem) problems.push(`${pathOf(c.ident) ?? `ident ${c.ident}`}: its copy ${c.file} is ${problem}`);
  }
  return report({ dest, state, checked: manifest.copies.length, problems });
}

/** A file's path as the copier listed it (for messages; prepare decides the final names). */
function listedPaths(m: Manifest): (ident: string) => string | undefined {
  const up = new Map<string, [string, string]>(); // ident → [parent ident, name]
  for (const l of m.listings) for (const e of l.entries) if (!up.has(e.ident)) up.set(e.ident, [l.ident, e.name]);
  const roots = new Map(m.roots.map((r) => [r.ident, r.dest]));
  const path = (ident: string, depth = 0): string | undefined => {
    if (roots.has(ident)) return roots.get(ident)!;
    const p = up.get(ident);
    if (!p || depth > 256) return undefined;
    const parent = path(p[0], depth + 1);
    return parent === undefined ? undefined : parent ? `${parent}/${p[1]}` : p[1];
  };
  return (ident) => path(ident);
}

function report(r: VerifyResult): VerifyResult {
  for (const p of r.problems.slice(0, 50)) log.error(p);
  if (r.problems.length) throw new HbError("verify", `${r.dest}: ${r.problems.length} difference(s) found (first: ${r.problems[0]})`);
  log.success(`${r.dest}: ${r.checked} entries verified`);
  return r;
}
