#!/usr/bin/env node
// kubectl-flinkapp: the kubectl plugin for FlinkApplications (`kubectl flinkapp …` once it is on
// PATH). One command per action a human takes on day 2, as CloudNativePG's `kubectl cnpg`.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import * as actions from "./actions.js";
import { FlinkApps } from "./api.js";
import { awsTarget, dashboardUrl, readLogs } from "./aws-reads.js";
import { CliError } from "./errors.js";
import { formatStatus, statusReport } from "./status.js";

export const usage = `kubectl flinkapp — day-2 actions on FlinkApplications (managedflink.dev)

Usage:
  kubectl flinkapp status    NAME                 application, version, parallelism, job health,
                                                  last snapshot, last failure, recent Events
  kubectl flinkapp snapshot  NAME                 take a snapshot (spec.snapshots.request) and wait
  kubectl flinkapp restore   NAME SNAPSHOT        snapshot the current state, then run from SNAPSHOT
                                                  (spec.restore.redeployNonce)
  kubectl flinkapp restart   NAME                 restart snapshot-first, no configuration change
                                                  (spec.restartNonce)
  kubectl flinkapp scale     NAME N               set spec.parallelism.parallelism and wait
  kubectl flinkapp dashboard NAME [--open]        the Flink dashboard URL (CreateApplicationPresignedUrl)
  kubectl flinkapp logs      NAME [-f] [--tail N] the application's CloudWatch log stream

Options:
  -n, --namespace NS     namespace (default: the context's, else "default")
      --kubeconfig PATH  kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME     kubeconfig context
  -o, --output FORMAT    text (default) or json
      --no-wait          return once the spec is written
      --timeout SECONDS  how long to wait for the operator (default 900)
      --session SECONDS  dashboard session length, 1800-43200 (default: AWS's 12 hours)
  -h, --help             this help

Changes go through the Kubernetes API to the operator; dashboard and logs read AWS with your own
credentials (AWS_PROFILE, AWS_REGION, ...).`;

const commands = new Set(["status", "snapshot", "restore", "restart", "scale", "dashboard", "logs"]);

const options = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  output: { type: "string", short: "o", default: "text" },
  "no-wait": { type: "boolean", default: false },
  timeout: { type: "string", default: "900" },
  session: { type: "string" },
  open: { type: "boolean", default: false },
  follow: { type: "boolean", short: "f", default: false },
  tail: { type: "string", default: "100" },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const stdio: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

function positionals(args: string[], names: string[]): string[] {
  if (args.length !== names.length) {
    throw new CliError(
      `expected ${names.join(" ")}, got ${args.length === 0 ? "nothing" : args.join(" ")}\n\n${usage}`,
      2,
    );
  }
  return args;
}

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${flag} must be a whole number, not "${v}"`, 2);
  return n;
}

/** Runs one command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function run(argv: string[], io: Io = stdio, signal?: AbortSignal): Promise<number> {
  let apps: FlinkApps | undefined;
  try {
    const { values, positionals: rest } = parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    });
    if (values.help || rest.length === 0) {
      (values.help ? io.out : io.err)(usage);
      return rest.length === 0 && !values.help ? 2 : 0;
    }
    if (values.output !== "text" && values.output !== "json") {
      throw new CliError(`--output must be text or json, not "${values.output}"`, 2);
    }
    if (!commands.has(rest[0]!)) throw new CliError(`unknown command "${rest[0]}"\n\n${usage}`, 2);
    apps = new FlinkApps({
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace,
    });
    await dispatch(apps, rest[0]!, rest.slice(1), values, io, signal);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`Error: ${err.message}`);
      return err.exitCode;
    }
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`Error: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    io.err(`Error: ${(err as Error).message ?? String(err)}`);
    return 1;
  } finally {
    apps?.close();
  }
}

async function dispatch(
  apps: FlinkApps,
  command: string,
  args: string[],
  v: Values,
  io: Io,
  signal?: AbortSignal,
) {
  const json = v.output === "json";
  const wait: actions.ActionOptions = {
    wait: !v["no-wait"],
    timeoutMs: (wholeNumber("timeout", v.timeout) ?? 900) * 1000,
  };
  const print = (r: actions.ActionResult) => io.out(json ? JSON.stringify(r.json, null, 2) : r.text);
  switch (command) {
    case "status": {
      const [name] = positionals(args, ["NAME"]);
      const report = await statusReport(apps, name!);
      io.out(json ? JSON.stringify(report, null, 2) : formatStatus(report, process.stdout.columns || 100));
      return;
    }
    case "snapshot": {
      const [name] = positionals(args, ["NAME"]);
      return print(await actions.snapshot(apps, name!, wait));
    }
    case "restore": {
      const [name, snapshot] = positionals(args, ["NAME", "SNAPSHOT"]);
      return print(await actions.restore(apps, name!, snapshot!, wait));
    }
    case "restart": {
      const [name] = positionals(args, ["NAME"]);
      return print(await actions.restart(apps, name!, wait));
    }
    case "scale": {
      const [name, n] = positionals(args, ["NAME", "N"]);
      return print(await actions.scale(apps, name!, Number(n), wait));
    }
    case "dashboard":
      return dashboard(apps, positionals(args, ["NAME"])[0]!, v, io);
    case "logs":
      return logs(apps, positionals(args, ["NAME"])[0]!, v, io, signal);
    default:
      throw new CliError(`unknown command "${command}"\n\n${usage}`, 2);
  }
}

async function dashboard(apps: FlinkApps, name: string, v: Values, io: Io) {
  const url = await dashboardUrl(awsTarget(await apps.get(name)), wholeNumber("session", v.session));
  io.out(v.output === "json" ? JSON.stringify({ name, url }, null, 2) : url);
  if (v.open) {
    // The URL is valid for 3 minutes before first use, so open it now rather than print-and-copy.
    const opener =
      process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
    spawn(opener, [url], { detached: true, stdio: "ignore" })
      .on("error", () => io.err(`could not run ${opener}; open the URL above within 3 minutes`))
      .unref();
  }
}

async function logs(apps: FlinkApps, name: string, v: Values, io: Io, signal?: AbortSignal) {
  const target = awsTarget(await apps.get(name));
  const stop = new AbortController();
  signal?.addEventListener("abort", () => stop.abort());
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    await readLogs(target, {
      follow: v.follow,
      tail: Math.min(wholeNumber("tail", v.tail) ?? 100, 10_000),
      pollMs: 2000,
      signal: stop.signal,
      onEvent: (e) =>
        io.out(
          v.output === "json"
            ? JSON.stringify({ timestamp: e.timestamp, message: e.message })
            : `${e.timestamp ? new Date(e.timestamp).toISOString() : "-"} ${e.message ?? ""}`,
        ),
    });
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

const entry = process.argv[1] ?? "";
if (/kubectl-flinkapp$|cli[\\/]main\.[jt]s$/.test(entry)) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
