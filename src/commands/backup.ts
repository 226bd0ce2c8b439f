// hb backup: parse and check the options, hand them to the backup phase, report its result.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { HbError } from "../errors";
import { applyOutputArgs, outputArgs, parseIntegerArg, parsePositiveSizeArg, parseRateArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "backup",
    description: "Copy the files of a running server into DEST, exact as of the end of the backup",
    example: "hb backup --raw --source /srv/data --pid 4242 --throttle 100M /backups/today",
  }),
  args: {
    dest: { type: "positional", required: true, description: "Backup directory (created; must be empty)" },
    raw: { type: "boolean", description: "Back up a directory written by a process running with the shim, without SQL" },
    source: { type: "string", valueHint: "dir", description: "Directory to back up (raw mode)" },
    pid: { type: "string", valueHint: "pid", description: "Process that writes --source, started with the shim preloaded (raw mode)" },
    throttle: { type: "string", valueHint: "rate", description: "Copy at most this many bytes per second, e.g. 100M (0 = no limit)" },
    parallel: { type: "string", valueHint: "n", description: "Files copied at once, 1 to 64", default: "4" },
    ring: { type: "string", valueHint: "size", description: "Shared-memory ring between server and hb, e.g. 64M", default: "64M" },
    ...outputArgs,
  },
  async run({ args }) {
    if (!args.raw) throw new HbError("usage", "only --raw backups are implemented yet; MariaDB mode comes next");
    if (args.source === undefined || args.pid === undefined) {
      throw new HbError("usage", "--raw needs --source DIR and --pid PID");
    }
    const options = {
      dest: args.dest,
      source: args.source,
      pid: parseIntegerArg(args.pid, "--pid", 1, 2 ** 22),
      throttleBytesPerSec: args.throttle === undefined ? 0 : parseRateArg(args.throttle, "--throttle"),
      parallel: parseIntegerArg(args.parallel, "--parallel", 1, 64),
      ringBytes: parsePositiveSizeArg(args.ring, "--ring"),
      json: args.json === true,
      quiet: args.quiet === true,
    };
    applyOutputArgs(options);
    const { runRawBackup } = await import("../backup/raw");
    const result = await runRawBackup(options);
    if (options.json) printJson(result);
  },
});
