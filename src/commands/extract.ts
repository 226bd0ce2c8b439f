// hb extract: a backup stream (hb backup --stream) from stdin or a file into a backup directory.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { HbError } from "../errors";
import { log } from "../log";
import { formatBytes } from "../units";
import { refuseS3Args } from "../s3/args";
import { isS3Url } from "../s3/layout";
import { s3Args } from "../s3/options";
import { applyOutputArgs, outputArgs, parseIntegerArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "extract",
    description: "Rebuild a backup directory from a stream written by hb backup --stream, checking every chunk",
    example: "hb backup --stream --compress | ssh backup-host hb extract /backups/today",
  }),
  args: {
    dir: { type: "positional", required: true, description: "Backup directory to write (created; must be empty); or s3://BUCKET/PREFIX/NAME, then DIR" },
    file: { type: "positional", required: false, description: "The stream (default: stdin); after s3://…, the backup directory to write" },
    "encrypt-key-file": { type: "string", valueHint: "file", description: "The key the stream was encrypted with" },
    parallel: { type: "string", valueHint: "n", description: "Chunks decrypted and decompressed at once, 1 to 64", default: "4" },
    ...s3Args,
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs(args);
    if (isS3Url(args.dir)) return fromS3(args);
    refuseS3Args(args, "a stream");
    const { extractStream, readKeyFile } = await import("../stream");
    const key = args["encrypt-key-file"] === undefined ? undefined : readKeyFile(args["encrypt-key-file"]);
    const parallel = parseIntegerArg(args.parallel, "--parallel", 1, 64);
    if (args.file === undefined && process.stdin.isTTY) throw new HbError("usage", "hb extract reads the stream from stdin, which is a terminal", "pipe it in, or give the stream's FILE");
    const source = args.file === undefined ? Bun.stdin.stream() : await streamOf(args.file);
    const result = await extractStream(source, args.dir, { key, parallel });
    log.success(`extracted ${result.files} files, ${formatBytes(result.bytes)} into ${args.dir}${result.encrypted ? " (decrypted)" : ""}: hb prepare ${args.dir} next`);
    if (args.json === true) printJson(result);
  },
});

async function streamOf(file: string): Promise<ReadableStream<Uint8Array>> {
  const f = Bun.file(file);
  if (!(await f.exists())) throw new HbError("usage", `the stream ${file} does not exist`);
  return f.stream();
}

/** hb extract s3://…/NAME DIR: the backup downloaded, checked and written into DIR (docs/s3.md). */
// biome-ignore lint: citty's inferred args type
async function fromS3(args: any) {
  if (args.file === undefined) throw new HbError("usage", "hb extract s3://BUCKET/PREFIX/NAME DIR: missing DIR");
  const { s3Extract } = await import("../s3/cli");
  const result = await s3Extract(args.dir, args.file, args);
  log.success(`extracted ${result.files} files, ${formatBytes(result.bytes)} from ${result.objects} objects into ${args.file}: hb prepare ${args.file} next`);
  if (args.json === true) printJson(result);
}
