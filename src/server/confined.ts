// The path options of a server of our own on a datadir (docs/layout.md): every InnoDB and Aria file in the
// datadir itself, whatever an option file there says, so that it opens nothing outside the directory it was
// given (a source's absolute innodb_data_file_path would otherwise be the live server's system tablespace).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readOptionFile } from "../connect/options";
import { dataFilePathInDest } from "../discover/layout";

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
