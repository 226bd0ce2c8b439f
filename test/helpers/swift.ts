// A real S3 endpoint for tests: Debian 12's OpenStack Swift (2.30) with its s3api and tempauth middlewares on
// 127.0.0.1. One replica, rings built by one python3 call, the four servers in one temp dir, logs to stderr
// files there. Every Swift this process starts is killed when the process exits, however it exits.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { run, tempDir, testEnv, type TempDir } from "./harness";

/** The credentials tempauth gives the S3 user test:tester. */
export const SWIFT_S3 = { accessKeyId: "test:tester", secretAccessKey: "testing", region: "us-east-1" } as const;

export interface Swift extends AsyncDisposable {
  /** http://127.0.0.1:PORT, the proxy that answers S3. */
  endpoint: string;
  port: number;
  dir: string;
  /** What hb needs in its environment to reach this store (add --s3-endpoint). */
  env: Record<string, string>;
  /** Creates a bucket (aws s3 mb). */
  createBucket(name: string): Promise<void>;
  /** Runs the aws CLI against this store; throws on a nonzero exit. */
  aws(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const SERVERS = ["account", "container", "object", "proxy"] as const;
const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

/** A port nobody listens on now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const common = (dir: string, port: number) => `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
devices = ${dir}/srv
mount_check = false
log_level = INFO
`;

function backendConf(kind: "account" | "container" | "object", dir: string, port: number): string {
  return `${common(dir, port)}
[pipeline:main]
pipeline = ${kind}-server

[app:${kind}-server]
use = egg:swift#${kind}
`;
}

// s3api needs slo after it for multipart uploads; tempauth needs a cache (no memcached runs: its lookups
// miss, which tempauth's S3 path does not need).
function proxyConf(dir: string, port: number): string {
  return `${common(dir, port)}
[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:1
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:s3api]
use = egg:swift#s3api
location = ${SWIFT_S3.region}
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = ${SWIFT_S3.secretAccessKey} .admin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
`;
}

// One partition power small enough to build in a blink; one device per ring, one replica.
function ringScript(dir: string, ports: Record<string, number>): string {
  const rings = (["account", "container", "object"] as const)
    .map(
      (kind) => `b = RingBuilder(6, 1, 0)
b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": ${ports[kind]}, "device": "d1", "weight": 100})
b.rebalance()
b.save("${dir}/${kind}.builder")
b.get_ring().save("${dir}/${kind}.ring.gz")`,
    )
    .join("\n");
  return `from swift.common.ring import RingBuilder\n${rings}\n`;
}

async function listening(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Starts Swift in a temp dir and waits until it answers S3 (about 4 s). */
export async function startSwift(opts: { timeoutMs?: number } = {}): Promise<Swift> {
  const temp: TempDir = tempDir("hb-swift");
  const dir = temp.path;
  const ports = Object.fromEntries(await Promise.all(SERVERS.map(async (s) => [s, await freePort()] as const))) as Record<(typeof SERVERS)[number], number>;
  mkdirSync(join(dir, "srv/d1"), { recursive: true });
  for (const kind of ["account", "container", "object"] as const) writeFileSync(join(dir, `${kind}-server.conf`), backendConf(kind, dir, ports[kind]));
  writeFileSync(join(dir, "proxy-server.conf"), proxyConf(dir, ports.proxy));
  const rings = await run(["/usr/bin/python3", "-c", ringScript(dir, ports)]);
  if (rings.code !== 0) throw new Error(`building Swift's rings failed:\n${rings.stderr}`);

  const procs = SERVERS.map((s) => {
    // setpriv execs the server in place with a parent-death signal: bun test's runner exits without "exit".
    const log = Bun.file(join(dir, `${s}.log`));
    const proc = Bun.spawn(["setpriv", "--pdeathsig", "KILL", "--", `/usr/bin/swift-${s}-server`, join(dir, `${s}-server.conf`), "-v"], {
      env: testEnv,
      stdin: "ignore",
      stdout: log,
      stderr: log,
    });
    live.add(proc);
    return proc;
  });
  const endpoint = `http://127.0.0.1:${ports.proxy}`;
  const env = {
    AWS_ACCESS_KEY_ID: SWIFT_S3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SWIFT_S3.secretAccessKey,
    AWS_REGION: SWIFT_S3.region,
  };
  const stop = async () => {
    for (const proc of procs) {
      proc.kill("SIGKILL");
      await proc.exited;
      live.delete(proc);
    }
    temp[Symbol.dispose]();
  };
  const logs = () => SERVERS.map((s) => `--- ${s}\n${readFileSync(join(dir, `${s}.log`), "utf8").slice(-2000)}`).join("\n");

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const exited = procs.find((p) => p.exitCode !== null);
    if (exited) {
      const text = logs();
      await stop();
      throw new Error(`a Swift server exited at start:\n${text}`);
    }
    if ((await Promise.all(Object.values(ports).map(listening))).every(Boolean)) {
      // The proxy listens before the backends' rings are loaded: an authenticated request proves the chain.
      const probe = await fetch(`${endpoint}/healthcheck-probe`, { method: "HEAD" }).catch(() => undefined);
      if (probe) break;
    }
    if (Date.now() > deadline) {
      const text = logs();
      await stop();
      throw new Error(`Swift did not start in time:\n${text}`);
    }
    await Bun.sleep(100);
  }

  const aws = async (...args: string[]) => {
    const result = await run(["aws", "--endpoint-url", endpoint, ...args], {
      env: { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "" },
    });
    if (result.code !== 0) throw new Error(`aws ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
    return result.stdout;
  };
  const swift: Swift = {
    endpoint,
    port: ports.proxy,
    dir,
    env,
    aws,
    createBucket: async (name) => void (await aws("s3", "mb", `s3://${name}`)),
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return swift;
}
