// hb list s3://BUCKET/PREFIX: the backups under a prefix, complete or not; --remove-incomplete removes the
// incomplete ones (docs/s3.md "Listing and removing incomplete backups").
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { writeOut } from "../cli/io";
import { HbError } from "../errors";
import { s3Args } from "../s3/options";
import { formatBytes } from "../units";
import { applyOutputArgs, outputArgs, parseDurationArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "list",
    description: "List the backups under an S3 prefix: complete ones with their binlog position, incomplete ones with their age",
    example: "hb list --s3-endpoint http://127.0.0.1:8080 s3://backups/db1",
  }),
  args: {
    location: { type: "positional", required: true, description: "s3://BUCKET or s3://BUCKET/PREFIX" },
    "remove-incomplete": { type: "boolean", description: "Remove incomplete backups (objects and multipart uploads without a manifest) older than --min-age" },
    "min-age": { type: "string", valueHint: "duration", description: "With --remove-incomplete: leave those written to more recently (an upload may still run)", default: "1h" },
    "defaults-file": { type: "string", valueHint: "file", description: "Read only this option file (its [hb] group's s3-* options)" },
    "defaults-extra-file": { type: "string", valueHint: "file", description: "Read this option file after the usual ones" },
    ...s3Args,
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs(args);
    const { isS3Url, parseS3Url } = await import("../s3/layout");
    if (!isS3Url(args.location)) throw new HbError("usage", `hb list takes an s3:// location, not "${args.location}"`);
    const loc = parseS3Url(args.location);
    const { openStore } = await import("../s3/options");
    const { listBackups, removeIncomplete } = await import("../s3/list");
    const store = openStore(loc, args);
    const removed = args["remove-incomplete"] ? await removeIncomplete(store, loc, parseDurationArg(args["min-age"], "--min-age") * 1000) : [];
    const backups = await listBackups(store, loc);
    if (args.json) return printJson({ location: args.location, backups, removed });
    const rows = backups.map((b) => [
      b.name,
      b.complete ? "complete" : "INCOMPLETE",
      formatBytes(b.bytes),
      b.complete ? (b.completedAt ?? "") : `last write ${b.lastWriteAt ?? "?"}`,
      b.complete ? binlogText(b.binlog) : `${b.objects} objects, ${b.uploads} multipart uploads`,
    ]);
    writeOut(table([["NAME", "STATE", "SIZE", "COMPLETED", "BINLOG"], ...rows]));
  },
});

function binlogText(binlog: unknown): string {
  const b = binlog as { file?: string; position?: string; gtid?: string } | undefined;
  return b?.file ? `${b.file}:${b.position}${b.gtid ? ` (${b.gtid})` : ""}` : "-";
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}\n`).join("");
}
