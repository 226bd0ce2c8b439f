// sysbench reports once a second; a backup window rarely starts on a second. Each report counts for the
// part of its second that lies inside the window.
import type { SysbenchSample } from "./harness";

/** Transactions per second over [from, to] (Date.now() clock), weighting each report by its overlap. */
export function tpsIn(samples: SysbenchSample[], from: number, to: number): number {
  let tx = 0;
  let ms = 0;
  for (const s of samples) {
    const overlap = Math.min(s.at, to) - Math.max(s.at - 1000, from);
    if (overlap <= 0) continue;
    tx += (s.tps * overlap) / 1000;
    ms += overlap;
  }
  return ms ? tx / (ms / 1000) : Number.NaN;
}

/** The worst per-second figure (run with --percentile=100: the slowest transaction) of reports touching the window. */
export function worstIn(samples: SysbenchSample[], from: number, to: number): number {
  const inside = samples.filter((s) => s.at > from && s.at - 1000 < to).map((s) => s.latencyP99Ms);
  return inside.length ? Math.max(...inside) : Number.NaN;
}

/** TPS in the no-backup windows just before and after `w`, averaged: the server drifts by itself over
 * minutes, and a baseline from before only would charge that drift to what ran in `w`. */
export function baselineAround(samples: SysbenchSample[], nones: { from: number; to: number }[], w: { from: number; to: number }): number {
  const before = nones.findLast((n) => n.to <= w.from)!;
  const after = nones.find((n) => n.from >= w.to)!;
  return (tpsIn(samples, before.from, before.to) + tpsIn(samples, after.from, after.to)) / 2;
}
