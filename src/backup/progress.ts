// Progress while copying: on a terminal, one line redrawn in place (phase, bytes done/total, rate, ETA,
// current file, journal size); elsewhere a plain log line every 5 s. Nothing with --quiet.
import { log } from "../log";

export interface ProgressSource {
  phase: () => string;
  bytes: () => number;
  total: () => number; // 0 when unknown
  file: () => string;
  journalBytes: () => number;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const secs = (s: number) => (s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`);

export function progressLine(p: ProgressSource, elapsedSec: number): string {
  const done = p.bytes();
  const total = p.total();
  const rate = elapsedSec > 0 ? done / elapsedSec : 0;
  const eta = total > done && rate > 0 ? ` ETA ${secs((total - done) / rate)}` : "";
  const of = total ? ` / ${mib(total)} (${Math.min(100, Math.floor((done / total) * 100))}%)` : "";
  const file = p.file().split("/").slice(-2).join("/");
  return `${p.phase()} ${mib(done)}${of} ${mib(rate)}/s${eta} | journal ${mib(p.journalBytes())} | ${file}`;
}

/** Starts reporting; the returned function stops it (and ends the terminal line). */
export function startProgress(p: ProgressSource, { tty = process.stderr.isTTY === true, quiet = log.level < 3 } = {}): () => void {
  if (quiet) return () => {};
  const started = performance.now();
  const line = () => progressLine(p, (performance.now() - started) / 1000);
  if (!tty) {
    const timer = setInterval(() => log.info(line()), 5000);
    return () => clearInterval(timer);
  }
  const width = () => (process.stderr.columns ?? 100) - 1;
  const draw = () => process.stderr.write(`\r\x1b[2K${line().slice(0, width())}`);
  const timer = setInterval(draw, 200);
  draw();
  return () => {
    clearInterval(timer);
    process.stderr.write("\r\x1b[2K");
  };
}
