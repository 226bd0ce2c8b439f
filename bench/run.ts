// npm run bench: every benchmark, printed as Markdown tables with ratios, and saved as JSON in
// bench/results/latest.json. Not part of the tests: the numbers are for reading, not asserting.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rawCopy, throttleAccuracy } from "./raw-copy";
import { shimOverhead } from "./shim-overhead";

const results: Record<string, unknown> = { date: new Date().toISOString(), machine: `${navigator.hardwareConcurrency} cores` };

const overhead = await shimOverhead();
results.shimOverhead = overhead;
console.log("\n### Shim cost per pwrite (cached pages)\n\n| size | shim | ns/call | × no shim |\n|---|---|---|---|");
for (const r of overhead) console.log(`| ${r.size} | ${r.mode} | ${r.nsPerCall} | ${r.ratio} |`);

const copy = await rawCopy({ totalMiB: Number(process.env.HB_BENCH_MIB ?? 2048) });
results.rawCopy = copy;
console.log(`\n### Raw copy of ${copy.totalMiB} MiB (cold cache: ${copy.coldCache}), both followed by sync\n`);
console.log(`| tool | ms | MiB/s |\n|---|---|---|\n| hb | ${copy.hbMs} | ${copy.hbMiBps} |\n| cp -r | ${copy.cpMs} | ${copy.cpMiBps} |`);
console.log(`\nhb throughput / cp throughput: **${copy.ratio}×**`);

const throttle = [await throttleAccuracy(20), await throttleAccuracy(100)];
results.throttle = throttle;
console.log("\n### Throttle accuracy\n\n| target MiB/s | achieved | error |\n|---|---|---|");
for (const t of throttle) console.log(`| ${t.targetMiBps} | ${t.achievedMiBps} | ${(t.error * 100).toFixed(2)}% |`);

mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(join(import.meta.dir, "results", "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
