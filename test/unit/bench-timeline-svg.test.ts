// The load case's picture (bench/lib/timeline-svg.ts): a tiny run of three series drawn, then read back.
import { describe, expect, test } from "bun:test";
import { timelineSvg, type Timeline } from "../../bench/lib/timeline-svg";

const timeline: Timeline = {
  title: "The server through one backup",
  note: ["a < b & c", "second line"],
  series: [
    { label: "no backup", endS: null, seconds: [{ t: -1, tps: 3000, worstMs: 20 }, { t: 0, tps: 3000, worstMs: 30 }, { t: 1, tps: 2900, worstMs: 25 }, { t: 2, tps: 3000, worstMs: 20 }] },
    { label: "hb (defaults)", endS: 2, seconds: [{ t: -1, tps: 3000, worstMs: 20 }, { t: 0, tps: 2800, worstMs: 40 }, { t: 1, tps: 2700, worstMs: 50 }, { t: 2, tps: 3000, worstMs: 20 }] },
    { label: "mariabackup", endS: 1, seconds: [{ t: -1, tps: 3000, worstMs: 20 }, { t: 0, tps: 1000, worstMs: 1000 }, { t: 1, tps: 0, worstMs: 0 }, { t: 2, tps: 3000, worstMs: 20 }] },
  ],
};

const svg = timelineSvg(timeline);
const numbers = (s: string) => s.split(/[ ,]/).map(Number);

/** Every polyline as its panel, series and points. */
const polylines = [...svg.matchAll(/<polyline data-panel="(\w+)"[^>]* data-series="([^"]+)" points="([^"]+)"\/>/g)].map(([, panel, series, points]) => {
  const xs = numbers(points!);
  return { panel, series, points: xs.flatMap((_, i) => (i % 2 ? [] : [[xs[i]!, xs[i + 1]!] as const])) };
});
const frames = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/g)].map((m) => m.slice(1).map(Number));
/** The y of a tick label's gridline (the label sits 4 px below it). */
const tickY = (label: string) => Number(new RegExp(`<text x="[\\d.]+" y="([\\d.]+)" text-anchor="end"[^>]*>${label}</text>`).exec(svg)![1]) - 4;

describe("timelineSvg", () => {
  test("is one SVG document with balanced text elements and the note escaped", () => {
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<text /g)!.length).toBe(svg.match(/<\/text>/g)!.length);
    expect(svg).toContain("a &lt; b &amp; c");
    expect(svg).not.toContain("a < b");
  });

  test("draws each of the three series in both panels, with a legend and its backup's end", () => {
    for (const { label } of timeline.series) {
      expect(polylines.filter((p) => p.series === label).map((p) => p.panel).sort()).toEqual(["latency", "tps"]);
      expect(svg).toContain(`>${label}</text>`);
    }
    expect(polylines).toHaveLength(6);
    expect(svg).toContain(">backup starts</text>");
    expect(svg).toContain(">hb (defaults) done</text>");
    expect(svg).toContain(">mariabackup done</text>");
    expect(svg).not.toContain(">no backup done</text>");
  });

  test("has both axes: time in seconds, TPS from 0, the slowest transaction on decades of ms", () => {
    expect(svg).toContain(">seconds since the backup started</text>");
    expect(svg).toContain(">Transactions per second</text>");
    expect(svg).toContain(">Slowest transaction in each second (log scale)</text>");
    for (const label of ["0", "1000", "10 ms", "100 ms", "1 s"]) expect(Number.isNaN(tickY(label))).toBe(false);
    expect(tickY("10 ms")).toBeGreaterThan(tickY("100 ms"));
    expect(tickY("100 ms") - tickY("1 s")).toBeCloseTo(tickY("10 ms") - tickY("100 ms"), 0); // log: equal decades
  });

  test("puts every point inside its panel, higher values higher up, in time order", () => {
    expect(frames).toHaveLength(2);
    const [tpsFrame, latencyFrame] = frames as [number[], number[]];
    for (const p of polylines) {
      const [fx, fy, fw, fh] = (p.panel === "tps" ? tpsFrame : latencyFrame) as [number, number, number, number];
      for (const [x, y] of p.points) {
        expect(x).toBeGreaterThanOrEqual(fx);
        expect(x).toBeLessThanOrEqual(fx + fw);
        expect(y).toBeGreaterThanOrEqual(fy);
        expect(y).toBeLessThanOrEqual(fy + fh);
      }
      const xs = p.points.map(([x]) => x);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
    }
    const mb = (panel: string) => polylines.find((p) => p.series === "mariabackup" && p.panel === panel)!.points;
    expect(mb("tps")[1]![1]).toBeGreaterThan(mb("tps")[0]![1]); // 1000 TPS below 3000
    expect(mb("tps")[1]![1]).toBeCloseTo(tickY("1000"), 0);
    expect(mb("tps")[2]![1]).toBeCloseTo(tpsFrame[1]! + tpsFrame[3]!, 0); // 0 TPS on the floor
    expect(mb("latency")[1]![1]).toBeCloseTo(tickY("1 s"), 0); // 1000 ms on the 1 s line
    expect(mb("latency")[2]![1]).toBeCloseTo(latencyFrame[1]! + latencyFrame[3]!, 0); // 0 ms (nothing finished) on the floor
  });

  test("refuses a timeline with nothing to draw", () => {
    expect(() => timelineSvg({ title: "t", note: [], series: [{ label: "x", endS: null, seconds: [] }] })).toThrow("no seconds");
  });
});
