// What the capture leaves out of the journal from its first instant: the files under the datadir that the
// backup certainly leaves out, so that their bytes never reach DEST (docs/capture.md, "What the journal leaves
// out"). The binlog is the one that matters: with tables encrypted and encrypt_binlog=OFF it holds the rows in
// plaintext. Every path is checked against the backup's own leftOut before it is passed: the shim must never
// skip what the backup keeps. A path ending in `*` stands for every name in its directory that starts so.
import { readdirSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { ServerInfo } from "../discover/server";
import { UNJOURNALED_BYTES } from "../shim/abi";

/**
 * skip: is this datadir-relative path left out of the backup (the walker's leftOut). Binlogs and relay logs
 * (`base.N…` by prefix, `base.index`), ibtmp files, the server's pid, error, general and slow log files, and
 * every file an excluded table has now. #sql files stay journaled: ALTER renames them into tables.
 */
export function unjournaledPaths(info: ServerInfo, skip: (rel: string) => boolean): string[] {
  const inData = (p: string | undefined) => {
    const rel = p && relative(info.datadir, p);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : undefined;
  };
  const candidates: string[] = [];
  const prefix = (rel: string, samples: string[]) => {
    if (samples.every(skip)) candidates.push(`${rel}*`);
  };
  for (const base of [info.logBinBasename, info.relayLogBasename].map(inData)) {
    if (!base) continue;
    for (let d = 0; d <= 9; d++) prefix(`${base}.${d}`, [`${base}.${d}`, `${base}.${d}00001`, `${base}.${d}99999`]);
    candidates.push(`${base}.index`);
  }
  prefix("ibtmp", ["ibtmp", "ibtmp1", "ibtmp12"]);
  for (const file of [info.pidFile, info.errorLog, info.generalLogFile, info.slowLogFile].map(inData)) if (file) candidates.push(file);
  candidates.push(...excludedTableFiles(info.datadir, skip));

  const out: string[] = [];
  let bytes = 0;
  for (const rel of candidates) {
    const exact = !rel.endsWith("*");
    if ((exact && !skip(rel)) || rel.includes("\n") || (exact && rel.includes("*"))) continue;
    const abs = join(info.datadir, rel);
    if (bytes + abs.length + 1 >= UNJOURNALED_BYTES) break; // the rest stays journaled, as before
    out.push(abs);
    bytes += abs.length + 1;
  }
  return out;
}

/** "db/t.ibd" for every file now in a database directory that the backup leaves out, but #sql files. */
function excludedTableFiles(datadir: string, skip: (rel: string) => boolean): string[] {
  const out: string[] = [];
  for (const db of readdirSync(datadir, { withFileTypes: true })) {
    if (!db.isDirectory()) continue;
    let files: string[];
    try {
      files = readdirSync(join(datadir, db.name), { withFileTypes: true }).filter((f) => f.isFile()).map((f) => f.name);
    } catch {
      continue; // gone meanwhile, or not ours to read: journaled as before
    }
    for (const f of files) if (!f.startsWith("#sql") && skip(`${db.name}/${f}`)) out.push(`${db.name}/${f}`);
  }
  return out;
}
