// Under BLOCK_DDL (no table can be created any more; commits go on): every remote table file the datadir points at must be in a captured
// directory. One created during the backup somewhere else was never journaled: the backup fails, naming it,
// rather than succeed without it (docs/layout.md).
import { HbError } from "../errors";
import { remoteLinks, uncaptured, type RemoteLink } from "./layout";

/** The remote table files of the backup (for hb_layout.json); throws if one is outside the roots. */
export function checkRemoteCaptured(datadir: string, roots: string[]): RemoteLink[] {
  const links = remoteLinks(datadir);
  const missed = uncaptured(links, roots);
  if (!missed.length) return links;
  const list = missed.map((r) => `${r.link} → ${r.target}`).join(", ");
  throw new HbError(
    "capture",
    `table files were created during the backup in directories it does not capture: ${list}`,
    "run the backup again: it captures every DATA DIRECTORY / INDEX DIRECTORY that exists when it starts",
  );
}
