// docs/bench-timeline.svg from a saved run of the load case: `npm run bench` draws it after the case, and
// `bun run bench/timeline.ts [bench/results/NAME.json]` draws it again from the file (default full.json),
// so that the picture can change without running the load again.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type LoadRun, timelineRound } from "./cases/load";
import { timelineSvg } from "./lib/timeline-svg";

export interface SavedRun {
  date: string;
  commit?: string;
  machine: string;
  dataset: string;
  rounds: number;
  note?: string;
  load?: { runs: LoadRun[] };
}

/** Writes the picture; returns the round drawn (0-based). */
export function writeTimeline(results: SavedRun, resultFile: string): number {
  if (!results.load?.runs.some((r) => r.seconds)) throw new Error(`${resultFile} has no load case with its seconds`);
  const picture = timelineRound(results.load.runs);
  const svg = timelineSvg({
    title: "The server through one backup: sysbench oltp_write_only, 4 threads",
    note: [
      `${results.date.slice(0, 16).replace("T", " ")} UTC, ${results.commit ?? "commit not recorded"}; ${results.machine}; ${results.dataset}`,
      `round ${picture.round + 1} of ${results.rounds} (the one with the median hb TPS ratio); every second in bench/results/${basename(resultFile)}`,
      ...(results.note ? [results.note] : []),
    ],
    series: picture.series,
  });
  writeFileSync(join(import.meta.dir, "..", "docs", "bench-timeline.svg"), svg);
  return picture.round;
}

if (import.meta.main) {
  const file = process.argv[2] ?? join(import.meta.dir, "results", "full.json");
  const round = writeTimeline(JSON.parse(readFileSync(file, "utf8")) as SavedRun, file);
  console.log(`docs/bench-timeline.svg: round ${round + 1} of ${file}`);
}
