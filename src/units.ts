// Sizes, rates and durations as people type them on the command line, and as hb prints them.
// Multiples are binary (1K = 1024): ring and throttle sizes are compared with page and buffer sizes.
import { HbError } from "./errors";

const SIZE_UNITS = ["", "K", "M", "G", "T"] as const;
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(i?b)?$/i;

export function parseSize(text: string, option = "size"): number {
  const match = SIZE_RE.exec(text.trim());
  const bad = () =>
    new HbError(
      "usage",
      `invalid ${option} "${text}": expected a byte count or a number with K, M, G or T (e.g. 64M, 1.5G)`,
    );
  if (!match) throw bad();
  const [, number, unit = "", suffix] = match;
  const power = SIZE_UNITS.indexOf(unit.toUpperCase() as (typeof SIZE_UNITS)[number]);
  // "5iB" without a multiplier is not a unit anyone means.
  if (suffix?.toLowerCase() === "ib" && power === 0) throw bad();
  const value = Number(number);
  if (power === 0 && !Number.isInteger(value)) throw bad(); // a fraction of a byte
  const bytes = Math.round(value * 1024 ** power);
  if (!Number.isSafeInteger(bytes)) throw bad();
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/i;

/** Milliseconds. A plain number is seconds, as in most server options. */
export function parseDuration(text: string, option = "duration"): number {
  const match = DURATION_RE.exec(text.trim());
  if (!match) {
    throw new HbError(
      "usage",
      `invalid ${option} "${text}": expected a number of seconds or a number with ms, s, m or h (e.g. 250ms, 30s, 5m)`,
    );
  }
  const [, number, unit = "s"] = match;
  return Math.round(Number(number) * DURATION_UNITS[unit.toLowerCase()]!);
}

export function formatBytes(bytes: number): string {
  let value = bytes;
  let power = 0;
  while (Math.abs(value) >= 1024 && power < SIZE_UNITS.length - 1) {
    value /= 1024;
    power++;
  }
  if (power === 0) return `${bytes} B`;
  return `${trimFixed(value, value < 10 ? 2 : 1)} ${SIZE_UNITS[power]}iB`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${trimFixed(ms / 1000, 1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}h${pad(minutes)}m${pad(seconds)}s` : `${minutes}m${pad(seconds)}s`;
}

const trimFixed = (value: number, digits: number) => value.toFixed(digits).replace(/\.?0+$/, "");
