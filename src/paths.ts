// Path globs, the same for the copier (what not to copy) and prepare (what not to rebuild).
import picomatch from "picomatch";

/** A matcher for root- or DEST-relative paths ("db/t1.ibd"); dotfiles match too. */
export function pathMatcher(globs: string[]): (path: string) => boolean {
  if (!globs.length) return () => false;
  return picomatch(globs, { dot: true });
}

const SYSTEM_DBS = new Set(["mysql", "performance_schema", "sys"]);

/**
 * What a backup leaves out: paths matching `exclude`, and, when `include` is given, the files of every user
 * database directory ("db/…", one level down) that match none of it. The system databases always stay.
 */
export function leftOut(include: string[], exclude: string[]): (path: string) => boolean {
  const excluded = pathMatcher(exclude);
  const included = pathMatcher(include);
  return (path) => {
    if (excluded(path)) return true;
    if (!include.length) return false;
    const parts = path.split("/");
    return parts.length === 2 && !SYSTEM_DBS.has(parts[0]!) && parts[1] !== "db.opt" && !included(path);
  };
}
