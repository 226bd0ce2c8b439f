// One connection to the server (mysql2), with errors turned into hb's classes and the password kept out
// of every message.
import mysql from "mysql2/promise";
import { HbError } from "../errors";
import type { ConnectionOptions } from "./options";
export type { ConnectionFlags } from "./options";

export interface Db {
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  /** Another connection with the same options (the first one may be holding backup stages). */
  second(): Promise<Db>;
  close(): Promise<void>;
  readonly where: string;
}

const ACCESS_DENIED = 1045;

export async function connect(o: ConnectionOptions): Promise<Db> {
  const where = o.socket ?? `${o.host}:${o.port}`;
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({
      host: o.host,
      port: o.port,
      socketPath: o.socket,
      user: o.user,
      password: o.password,
      supportBigNumbers: true,
      bigNumberStrings: true,
      multipleStatements: false,
      connectTimeout: 10_000,
    });
  } catch (e) {
    const err = e as { errno?: number; code?: string; message: string };
    const msg = o.password ? err.message.split(o.password).join("*****") : err.message;
    throw new HbError(
      "connection",
      `cannot connect to ${where} as ${o.user}: ${msg}`,
      err.errno === ACCESS_DENIED ? "check --user/--password, MYSQL_PWD or the [client] group of your option files" : undefined,
    );
  }
  return {
    where,
    async query<T>(sql: string, params?: unknown[]) {
      const [rows] = await conn.query(sql, params);
      return rows as T;
    },
    second: () => connect(o),
    async close() {
      await conn.end().catch(() => conn.destroy());
    },
  };
}
