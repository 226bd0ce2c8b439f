// A capture driven from a test: begin on a process (a Scribbler), run the test's calls, end, and read the
// journal it wrote.
import { expect } from "bun:test";
import { closeSync, openSync, readFileSync, realpathSync } from "node:fs";
import { Capture } from "../../src/capture/control";
import { parseEvents } from "../../src/capture/events";
import type { Scribbler } from "./scribbler";

export interface Rec {
  type: number;
  ident: string;
  off: number;
  count: number;
  data: string;
}

/** Content records of a journal file (names: parseEvents). */
export function contentRecords(path: string): Rec[] {
  const j = readFileSync(path);
  const out: Rec[] = [];
  for (let at = 0; at < j.length; at += j.readUInt32LE(at)) {
    const type = j.readUInt16LE(at + 16);
    const count = Number(j.readBigUInt64LE(at + 64));
    out.push({
      type,
      ident: `${j.readBigUInt64LE(at + 24)}:${j.readBigUInt64LE(at + 32)}`,
      off: Number(j.readBigUInt64LE(at + 56)),
      count,
      data: type === 1 ? j.toString("utf8", at + 80, at + 80 + count) : "",
    });
  }
  return out;
}

/**
 * Runs `body` with a capture of `root` begun on the scribbler, ended afterwards (unless `body` ends it and
 * returns what end returned); returns the journal. `ended` runs before the journal is read. `unjournaled`:
 * the paths the capture leaves out.
 */
export async function captured(
  s: Scribbler,
  root: string,
  journal: string,
  body: (cap: Capture) => Promise<number | void>,
  ended?: () => Promise<void>,
  unjournaled: string[] = [],
) {
  const cap = Capture.attach(s.pid);
  const fd = openSync(journal, "w", 0o600);
  try {
    cap.begin({ roots: [realpathSync(root)], unjournaled, journalFd: fd, ringBytes: 8 << 20, leaseMs: 5000, maxWaitMs: 2000 });
    const code = await body(cap);
    const events = parseEvents(cap.events());
    expect(code ?? cap.end()).toBe(0);
    await ended?.();
    return { events: [...events, ...parseEvents(cap.events())], records: contentRecords(journal), cap };
  } finally {
    closeSync(fd);
    cap.detach();
  }
}

