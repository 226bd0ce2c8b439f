// Damage for the tests that must find it: a byte flipped in place (XOR with `mask`, so flipping twice undoes it),
// and the error a call throws, for checking its class and message.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

export function flipByte(path: string, at: number, mask = 0xff): void {
  const fd = openSync(path, "r+");
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ mask;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

/** What `fn` throws (undefined if it returns). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
