// Two small helpers prepare and restore share for their filesystem steps.
import { lstatSync } from "node:fs";
import { HbError } from "./errors";

/** Runs one filesystem step; a failure becomes exit 8 (io) saying `what` (an HbError passes through as it is). */
export function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HbError) throw e;
    throw new HbError("io", `${what}: ${(e as Error).message}`);
  }
}

/** Whether a name exists, not following a symlink (a dangling one exists). Other errors than "no such" throw. */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw e;
  }
}
