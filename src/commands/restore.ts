// hb restore: put a prepared backup in place for a server (XtraBackup's copy-back and move-back).
import { defineCommand } from "citty";
import { checkDebugSync } from "../backup/debug-sync";
import { hbMeta } from "../cli/usage";
import { refuseS3Args, s3ReadArgs } from "../s3/args";
import { isS3Url } from "../s3/layout";
import { applyOutputArgs, outputArgs, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "restore",
    description: "Copy (or --move) a prepared backup into an empty datadir; run it again to finish one that was interrupted",
    example: "hb restore /backups/today --datadir /var/lib/mysql",
  }),
  args: {
    dest: { type: "positional", required: true, description: "A prepared backup, or s3://BUCKET/PREFIX/NAME (downloaded, checked, prepared, moved into --datadir)" },
    datadir: { type: "string", valueHint: "dir", description: "Where the server's datadir goes (must be empty)" },
    "defaults-file": {
      type: "string",
      valueHint: "file",
      description: "The target server's option file: its datadir and InnoDB data/redo/undo directories are used",
    },
    move: { type: "boolean", description: "Rename files instead of copying them (same filesystem; the backup is used up)" },
    "force-non-empty-directories": { type: "boolean", description: "Restore into a directory that already has files (none is overwritten)" },
    "tables-in-datadir": {
      type: "boolean",
      description: "Keep tables created with DATA/INDEX DIRECTORY in the datadir instead of putting them back where the source had them",
    },
    ...s3ReadArgs,
    ...outputArgs,
  },
  async run({ args }) {
    const options = { json: args.json === true, quiet: args.quiet === true };
    applyOutputArgs(options);
    checkDebugSync();
    if (isS3Url(args.dest)) {
      const { s3Restore } = await import("../s3/cli");
      const result = await s3Restore(args.dest, args);
      if (options.json) printJson(result);
      return;
    }
    refuseS3Args(args, "a directory", s3ReadArgs);
    const { restoreBackup } = await import("../restore");
    const result = restoreBackup(args.dest, {
      datadir: args.datadir,
      defaultsFile: args["defaults-file"],
      move: args.move === true,
      forceNonEmpty: args["force-non-empty-directories"] === true,
      tablesInDatadir: args["tables-in-datadir"] === true,
    });
    if (options.json) printJson(result);
  },
});
