// I7, under the final lock: files the shim flagged as written through a shared writable mapping (MariaDB's
// tc.log when the binlog is off) are copied again now, and that copy replaces the journal for them:
// its position is the end of the journal, so no record is replayed over it.
import type { Session } from "./session";

export async function recopyUnderLock(session: Session): Promise<number> {
  const mapped = session.mappedCopies();
  for (const ident of mapped) await session.walker.recopy(ident, Number.MAX_SAFE_INTEGER);
  await session.walker.settle();
  return mapped.length;
}
