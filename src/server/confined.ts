// A server of our own on a datadir opens nothing outside it (docs/layout.md "Prepare stays in DEST"). Its path
// options put every InnoDB and Aria file in the datadir itself, whatever an option file there says (a source's
// absolute innodb_data_file_path would otherwise be the live server's system tablespace). And InnoDB's crash
// recovery opens a remote tablespace by the absolute path its redo log names, the source's file: so when the
// datadir holds remote tablespaces, the server runs in a mount namespace of its own where each source directory
// of theirs shows the datadir's database directory instead.
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { readOptionFile } from "../connect/options";
import { dataFilePathInDest } from "../discover/layout";
import { readLayoutRecord } from "../discover/record";
import { HbError } from "../errors";

export function confinedPathArgs(datadir: string): string[] {
  const cnf = join(datadir, "backup-my.cnf");
  const spec = existsSync(cnf) ? readOptionFile(cnf).get("mysqld")?.get("innodb-data-file-path") : undefined;
  return [
    `--innodb-data-home-dir=${datadir}`,
    `--innodb-log-group-home-dir=${datadir}`,
    `--innodb-undo-directory=${datadir}`,
    `--aria-log-dir-path=${datadir}`,
    ...(spec ? [`--innodb-data-file-path=${dataFilePathInDest(spec)}`] : []),
  ];
}

/** Throws unless every source directory of a remote tablespace exists: each is a mount point while the server runs. */
function checkMountPoints(datadir: string, sources: Iterable<string>): void {
  for (const source of sources)
    if (!existsSync(source) || !statSync(source).isDirectory())
      throw new HbError(
        "usage",
        `crash recovery of ${datadir} needs ${source} to exist: the server sees ${datadir}'s copy there while it runs, and nothing in it is touched`,
        "create the directory (empty is fine), or pass --no-recover",
      );
}

/** Before prepare touches DEST: the recovery that follows will be able to map every remote tablespace's directory. */
export function checkRecoveryConfinable(dest: string): void {
  const links = readLayoutRecord(dest)?.remote ?? [];
  checkMountPoints(dest, new Set(links.filter((l) => l.via === "isl").map((l) => dirname(l.target))));
}

/** [datadir's database directory, source directory it stands for] for each remote tablespace's directory. */
function remoteMounts(datadir: string): [string, string][] {
  const placed = readLayoutRecord(datadir)?.placed ?? [];
  const pairs = new Map<string, string>();
  for (const p of placed) if (p.kind === "remote" && p.via === "isl") pairs.set(dirname(p.origin), join(datadir, dirname(p.path)));
  checkMountPoints(datadir, pairs.keys());
  return [...pairs].map(([source, inDatadir]) => [inDatadir, source]);
}

/** `cmd` as it is to be run on `datadir`: as is, or inside a private mount namespace (unshare) that maps the remote tablespaces' directories. */
export function confinedCommand(datadir: string, cmd: string[]): string[] {
  const mounts = remoteMounts(datadir);
  if (!mounts.length) return cmd;
  // Positional parameters: no path is ever parsed by the shell. exec keeps the pid: signals reach mariadbd.
  const binds = mounts.map((_, i) => `mount --bind "\${${2 * i + 1}}" "\${${2 * i + 2}}"`).join(" && ");
  const script = `${binds} && shift ${2 * mounts.length} && exec "$@"`;
  if (!Bun.which("unshare"))
    throw new HbError("usage", `crash recovery of ${datadir} runs in a mount namespace of its own (it holds remote tablespaces), and unshare is not installed`, "install util-linux, or pass --no-recover");
  if (process.getuid?.() === 0) return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", ...mounts.flat(), ...cmd];
  // Not root: a user namespace of its own, where we are root (mariadbd wants --user=root to run so; it keeps
  // the first --user, and a caller that is not root gives none).
  return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", ...mounts.flat(), ...cmd, "--user=root"];
}
