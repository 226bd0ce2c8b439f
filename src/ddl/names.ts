// MariaDB's file-name encoding of database and table names: characters outside [A-Za-z0-9_] become @XXXX
// (four hex digits of the code point); names from before 5.1 carry a #mysql50# prefix.
export function decodeTableName(fsName: string): string {
  return fsName.replace(/^#mysql50#/, "").replace(/@([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

