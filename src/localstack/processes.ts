import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { repoRoot } from "./binaries.js";

const guard = join(repoRoot, "src/localstack/orphan-guard.sh");
const live = new Set<ManagedProcess>();

// Last line of defence for a clean exit or an uncaught error: kill every process group still running.
// A SIGKILL of this process skips this handler; orphan-guard.sh covers that case.
process.on("exit", () => {
  for (const p of live) p.killNow();
});

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output of the process goes here, so a failed start can show its tail. */
  logFile: string;
  /** Give the process a stdin of its own for command() lines (the guard keeps ours for its orphan check). */
  commands?: boolean;
}

/** A child process in its own process group, stopped with everything it started. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(name: string, child: ChildProcess, logFile: string) {
    this.name = name;
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        resolve(this.exitCode);
      });
    });
  }

  static start(name: string, command: string, args: string[], opts: StartOptions): ManagedProcess {
    const log = openSync(opts.logFile, "a");
    try {
      const env = opts.env ?? process.env;
      const child = spawn("/bin/sh", [guard, command, ...args], {
        // Own process group: one kill(-pgid) reaches the guard, the server and anything it forked.
        detached: true,
        // stdin is the pipe whose end-of-file tells the guard that we are gone; fd 4, when asked for,
        // is the pipe the guard hands to the process as its stdin.
        stdio: opts.commands ? ["pipe", log, log, "ignore", "pipe"] : ["pipe", log, log],
        env: opts.commands ? { ...env, MFO_GUARD_COMMANDS: "1" } : env,
        cwd: opts.cwd,
      });
      // A write after the process died must not become an uncaught EPIPE: command() is best effort.
      (child.stdio[4] as Writable | undefined)?.on("error", () => {});
      const p = new ManagedProcess(name, child, opts.logFile);
      live.add(p);
      return p;
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Fails fast when the process died while we wait for it to become ready. */
  assertRunning(): void {
    if (!this.running) {
      throw new Error(`${this.name} exited with code ${this.exitCode}; log tail:\n${this.logTail()}`);
    }
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one line to the process's stdin (started with `commands`). */
  command(line: string): void {
    const stdin = this.child.stdio[4] as Writable | null | undefined;
    if (!stdin) throw new Error(`${this.name} was started without a command pipe`);
    if (this.running) stdin.write(`${line}\n`);
  }

  killNow(): void {
    this.signal("SIGKILL");
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  description: string;
  /** Checked on every round so a crashed dependency fails the wait at once. */
  process?: ManagedProcess;
}

/** Polls `check` until it returns a value other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    opts.process?.assertRunning();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const tail = opts.process ? `\n${opts.process.name} log tail:\n${opts.process.logTail()}` : "";
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.description}${cause}${tail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
