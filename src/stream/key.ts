// The encryption key (docs/security.md "Encrypted streams"): read from a file only its owner can read, 32
// bytes raw or 64 hex digits; anything else refuses to run (never a plaintext fallback). hb never writes it:
// the stream carries a fingerprint to tell a wrong key at once, and each stream is sealed with its own key
// derived from it and the stream's random id, so that chunk indexes never repeat a nonce under one key.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { createHash, hkdfSync } from "node:crypto";
import { HbError } from "../errors";

export const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}\n?$/;

/** Reads and checks a key file; every failure is a usage error (exit 2) naming the file. */
export function readKeyFile(file: string): Uint8Array {
  const refuse = (why: string): never => {
    throw new HbError("usage", `--encrypt-key-file ${file}: ${why}`, "make a key with: (umask 077; openssl rand 32 > FILE)");
  };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return refuse(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return refuse("is not a regular file");
    if (st.mode & 0o077) return refuse(`is readable or writable by other users (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`);
    if (st.size !== KEY_BYTES && st.size !== 64 && st.size !== 65)
      return refuse(`is ${st.size} bytes: a key is ${KEY_BYTES} raw bytes or 64 hex digits`);
    const buf = new Uint8Array(st.size);
    if (readSync(fd, buf, 0, buf.length, 0) !== buf.length) return refuse("changed while it was read");
    if (st.size === KEY_BYTES) return buf;
    const text = new TextDecoder().decode(buf);
    if (!HEX_KEY.test(text)) return refuse("is not 64 hex digits (nor 32 raw bytes)");
    return Uint8Array.from(Buffer.from(text.trim(), "hex"));
  } finally {
    closeSync(fd);
  }
}

/** 8 bytes that tell which key sealed a stream, and nothing about the key. */
export function keyFingerprint(key: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update("hb stream key fingerprint\0").update(key).digest()).slice(0, 8);
}

/** The key that seals one stream: HKDF-SHA256 of the user's key, salted with the stream's backup id. */
export function streamKey(key: Uint8Array, backupId: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", key, backupId, "hb stream v1 aes-256-gcm", KEY_BYTES));
}
