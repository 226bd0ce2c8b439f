// hb restore: put a prepared backup in place for a server (XtraBackup's copy-back and move-back).
import { defineCommand } from "citty";
import { checkDebugSync } from "../backup/debug-sync";
import { hbMeta } from "../cli/usage";
import { applyOutputArgs, outputArgs, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "restore",
    description: "Copy (or --move) a prepared backup into an empty datadir; run it again to finish one that was interrupted",
    example: "hb restore /backups/today --datadir /var/lib/mysql",
  }),
  args: {
    dest: { type: "positional", required: true, description: "A prepared backup" },
    datadir: { type: "string", valueHint: "dir", description: "Where the server's datadir goes (must be empty)" },
    "defaults-file": {
      type: "string",
      valueHint: "file",
      description: "The target server's option file: its datadir and InnoDB data/redo/undo directories are used",
    },
    move: { type: "boolean", description: "Rename files instead of copying them (same filesystem; the backup is used up)" },
    "force-non-empty-directories": { type: "boolean", description: "Restore into a directory that already has files (none is overwritten)" },
    ...outputArgs,
  },
  async run({ args }) {
    const options = { json: args.json === true, quiet: args.quiet === true };
    applyOutputArgs(options);
    checkDebugSync();
    const { restoreBackup } = await import("../restore");
    const result = restoreBackup(args.dest, {
      datadir: args.datadir,
      defaultsFile: args["defaults-file"],
      move: args.move === true,
      forceNonEmpty: args["force-non-empty-directories"] === true,
    });
    if (options.json) printJson(result);
  },
});
