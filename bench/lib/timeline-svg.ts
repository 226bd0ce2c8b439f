// The picture of the load case: the server's TPS and its slowest transaction, second by second, through a
// backup, one line per tool, drawn as a hand-written SVG (no plotting dependency for one chart). Two panels
// share the time axis: TPS on a linear scale from 0, the slowest transaction on a log scale (a no-backup
// second's 30 ms and mariabackup's 1 s lock both have to be legible). Time 0 is the backup's start; each
// backup's end is a dashed line in its colour.

/** One sysbench report: the second ending t seconds after the backup started. */
export interface Second {
  t: number;
  tps: number;
  worstMs: number;
}

export interface TimelineSeries {
  label: string;
  seconds: Second[];
  /** Seconds from the start to the backup's end; null when no backup ran. */
  endS: number | null;
}

export interface Timeline {
  title: string;
  /** Lines under the title (three at most): where and when the numbers come from. */
  note: string[];
  series: TimelineSeries[];
}

const COLOURS = ["#6b6b6b", "#1565c0", "#d84315", "#2e7d32"];
const W = 960;
const LEFT = 78;
const RIGHT = W - 24;
const TPS_PANEL = { top: 126, bottom: 326 };
const LATENCY_PANEL = { top: 392, bottom: 592 };
const H = 648;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (x: number) => Number(x.toFixed(1)).toString();

/** The smallest of 1, 2, 5 × 10^k at or above `v`. */
function niceAbove(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * decade).find((s) => s >= v * (1 - 1e-9)) ?? 10 * decade;
}

/** The smallest nice step that cuts `span` into at most `most` steps. */
const niceStep = (span: number, most: number) => niceAbove(span / most);

const msLabel = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ` ${attrs}` : ""}>${esc(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" ${attrs}/>`;
}

export function timelineSvg({ title, note, series }: Timeline): string {
  const all = series.flatMap((s) => s.seconds);
  if (all.length === 0) throw new Error("timelineSvg: no seconds to draw");
  // A report covers the second before its t: the x range starts one second before the first.
  const t0 = Math.floor(Math.min(...all.map((s) => s.t)) - 1);
  const t1 = Math.ceil(Math.max(...all.map((s) => s.t), ...series.map((s) => s.endS ?? -Infinity)));
  const x = (t: number) => LEFT + ((t - t0) / (t1 - t0 || 1)) * (RIGHT - LEFT);

  // Headroom above the highest second, where the start and end markers are labelled.
  const tpsTop = Math.max(...all.map((s) => s.tps), 1) * 1.3;
  const tpsStep = niceStep(tpsTop, 5);
  const tpsMax = Math.ceil(tpsTop / tpsStep) * tpsStep;
  const yTps = (v: number) => TPS_PANEL.bottom - (v / tpsMax) * (TPS_PANEL.bottom - TPS_PANEL.top);

  const positive = all.map((s) => s.worstMs).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...positive, 10)));
  const top = Math.max(niceAbove(Math.max(...positive, 10)), 10 ** (lo + 1));
  const hi = Math.log10(top);
  // A second with no transaction finished reports 0 ms: drawn on the floor of the scale.
  const yLat = (v: number) => {
    const l = Math.min(Math.max(Math.log10(Math.max(v, 10 ** lo)), lo), hi);
    return LATENCY_PANEL.bottom - ((l - lo) / (hi - lo)) * (LATENCY_PANEL.bottom - LATENCY_PANEL.top);
  };

  const out: string[] = [];
  const h = H + (note.length > 2 ? 16 : 0);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${h}" fill="#ffffff"/>`,
    text(LEFT, 28, title, 'font-size="17" font-weight="bold" fill="#111"'),
    ...note.slice(0, 3).map((l, i) => text(LEFT, 48 + 16 * i, l, 'font-size="12" fill="#555"')),
    // Below the title and its notes: the legend and the panels, moved down by a third line of notes.
    `<g transform="translate(0 ${note.length > 2 ? 16 : 0})">`,
  );

  // Legend, one entry per series.
  let lx = LEFT;
  series.forEach((s, i) => {
    out.push(line(lx, 86, lx + 26, 86, `stroke="${COLOURS[i % COLOURS.length]}" stroke-width="3"`), text(lx + 32, 90, s.label, 'fill="#111"'));
    lx += 32 + 7.5 * s.label.length + 28;
  });

  // Panels: frame, grid, y labels, and the time grid with its labels under each panel.
  const xStep = niceStep(t1 - t0, 14);
  const xTicks: number[] = [];
  for (let t = Math.ceil(t0 / xStep) * xStep; t <= t1; t += xStep) xTicks.push(t);
  const panel = (p: { top: number; bottom: number }, heading: string, yTicks: [number, string][]) => {
    out.push(text(LEFT, p.top - 10, heading, 'font-size="14" font-weight="bold" fill="#111"'));
    for (const [y, label] of yTicks)
      out.push(line(LEFT, y, RIGHT, y, 'stroke="#e3e3e3"'), text(LEFT - 8, y + 4, label, 'text-anchor="end" fill="#444"'));
    for (const t of xTicks)
      out.push(line(x(t), p.top, x(t), p.bottom, 'stroke="#f0f0f0"'), text(x(t), p.bottom + 17, String(t), 'text-anchor="middle" fill="#444"'));
    out.push(`<rect x="${LEFT}" y="${p.top}" width="${RIGHT - LEFT}" height="${p.bottom - p.top}" fill="none" stroke="#999"/>`);
  };
  const tpsTicks: [number, string][] = [];
  for (let v = 0; v <= tpsMax; v += tpsStep) tpsTicks.push([yTps(v), String(v)]);
  const latTicks: [number, string][] = [];
  for (let d = lo; 10 ** d < top; d++) latTicks.push([yLat(10 ** d), msLabel(10 ** d)]);
  latTicks.push([yLat(top), msLabel(top)]);
  panel(TPS_PANEL, "Transactions per second", tpsTicks);
  panel(LATENCY_PANEL, "Slowest transaction in each second (log scale)", latTicks);
  out.push(text((LEFT + RIGHT) / 2, H - 14, "seconds since the backup started", 'text-anchor="middle" fill="#111"'));

  // The backup's start, and each backup's end in its colour, across both panels.
  const marker = (t: number, colour: string, label: string, row: number, dash: string) => {
    for (const p of [TPS_PANEL, LATENCY_PANEL]) out.push(line(x(t), p.top, x(t), p.bottom, `stroke="${colour}" stroke-width="1.5"${dash}`));
    const nearRight = x(t) + 7 * label.length > RIGHT; // labelled on its left then
    const anchor = nearRight ? ' text-anchor="end"' : "";
    out.push(text(x(t) + (nearRight ? -4 : 4), TPS_PANEL.top + 14 + 15 * row, label, `fill="${colour}" font-size="12"${anchor}`));
  };
  marker(0, "#111", "backup starts", 0, "");
  series.forEach((s, i) => {
    if (s.endS !== null) marker(s.endS, COLOURS[i % COLOURS.length]!, `${s.label} done`, i, ' stroke-dasharray="6 4"');
  });

  // The series, each point in the middle of the second it reports.
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = (y: (v: Second) => number) => s.seconds.map((v) => `${num(x(v.t - 0.5))},${num(y(v))}`).join(" ");
    const attrs = `fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round" data-series="${esc(s.label)}"`;
    out.push(`<polyline data-panel="tps" ${attrs} points="${pts((v) => yTps(v.tps))}"/>`);
    out.push(`<polyline data-panel="latency" ${attrs} points="${pts((v) => yLat(v.worstMs))}"/>`);
  });

  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}
