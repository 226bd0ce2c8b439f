// A scribble process (test/shim/scribble.c) running with the shim: the test sends it one call at a time.
import { join } from "node:path";
import { compileC } from "./cc";
import { ROOT, SHIM, testEnv } from "./harness";

export class Scribbler implements AsyncDisposable {
  private proc;
  private lines: string[] = [];
  private buffered = "";
  private reader;

  /** Starts one and waits until it answers (its shim is set up by then). */
  static async start(env: Record<string, string> = { LD_PRELOAD: SHIM }): Promise<Scribbler> {
    const s = new Scribbler(env);
    await s.ok("ping");
    return s;
  }

  private constructor(env: Record<string, string>) {
    const exe = compileC(join(ROOT, "test/shim/scribble.c"));
    this.proc = Bun.spawn([exe], { env: { ...testEnv, ...env }, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    this.reader = this.proc.stdout.getReader();
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Performs one command; resolves to "ok" or "err N". */
  async do(command: string): Promise<string> {
    this.proc.stdin.write(`${command}\n`);
    this.proc.stdin.flush();
    while (!this.lines.length) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`scribble exited before answering ${command}`);
      this.buffered += new TextDecoder().decode(value);
      const parts = this.buffered.split("\n");
      this.buffered = parts.pop()!;
      this.lines.push(...parts);
    }
    return this.lines.shift()!;
  }

  async ok(command: string): Promise<void> {
    const answer = await this.do(command);
    if (answer !== "ok") throw new Error(`${command}: ${answer}`);
  }

  async [Symbol.asyncDispose]() {
    this.proc.stdin.end();
    this.proc.kill();
    await this.proc.exited;
  }
}
