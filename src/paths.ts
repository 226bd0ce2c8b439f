// Path globs, the same for the copier (what not to copy) and prepare (what not to rebuild).
import picomatch from "picomatch";

/** A matcher for root- or DEST-relative paths ("db/t1.ibd"); dotfiles match too. */
export function pathMatcher(globs: string[]): (path: string) => boolean {
  if (!globs.length) return () => false;
  return picomatch(globs, { dot: true });
}
