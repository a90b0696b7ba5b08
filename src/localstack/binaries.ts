import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file so it works from src/ (tsx) and dist/ (node). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Versions {
  KUBERNETES_VERSION: string;
  ETCD_VERSION: string;
  HELM_VERSION: string;
  MOTO_VERSION: string;
  BOTOCORE_VERSION: string;
  /** The emulator's real Flink (docs/adr/0011-real-flink-runtime.md). */
  FLINK_VERSION: string;
}

/** tools/versions.env is the single place versions are pinned; scripts/build-binaries.sh reads it too. */
export function readVersions(file = join(repoRoot, "tools/versions.env")): Versions {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  for (const k of [
    "KUBERNETES_VERSION",
    "ETCD_VERSION",
    "HELM_VERSION",
    "MOTO_VERSION",
    "BOTOCORE_VERSION",
    "FLINK_VERSION",
  ]) {
    if (!out[k]) throw new Error(`tools/versions.env: ${k} is missing`);
  }
  return out as unknown as Versions;
}

export function cacheDir(): string {
  return (
    process.env.MFO_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "managed-flink-operator")
  );
}

export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  helm: string;
  motoServer: string;
  /** botocore's official kinesisanalyticsv2 model, which the emulator validates requests against. */
  serviceModel: string;
  /** botocore's official CloudWatch model, which the emulator's CloudWatch validates requests against. */
  cloudWatchModel: string;
}

export function binaryPaths(v: Versions = readVersions(), cache = cacheDir()): BinaryPaths {
  const venv = join(cache, "venv", `moto-${v.MOTO_VERSION}-botocore-${v.BOTOCORE_VERSION}`);
  const site = join(venv, "lib", pythonDirName(venv), "site-packages");
  return {
    etcd: join(cache, "bin", `etcd-${v.ETCD_VERSION}`, "etcd"),
    kubeApiserver: join(cache, "bin", `kubernetes-${v.KUBERNETES_VERSION}`, "kube-apiserver"),
    kubectl: join(cache, "bin", `kubernetes-${v.KUBERNETES_VERSION}`, "kubectl"),
    helm: join(cache, "bin", `helm-${v.HELM_VERSION}`, "helm"),
    motoServer: join(venv, "bin", "moto_server"),
    serviceModel: join(site, "botocore/data/kinesisanalyticsv2/2018-05-23/service-2.json.gz"),
    cloudWatchModel: join(site, "botocore/data/cloudwatch/2010-08-01/service-2.json.gz"),
  };
}

function pythonDirName(venv: string): string {
  const cfg = join(venv, "pyvenv.cfg");
  if (existsSync(cfg)) {
    const m = /^version(?:_info)?\s*=\s*(\d+)\.(\d+)/m.exec(readFileSync(cfg, "utf8"));
    if (m) return `python${m[1]}.${m[2]}`;
  }
  return "python3.11";
}

/** Throws a message that says which command builds what is missing. */
export function requireBinaries(keys: (keyof BinaryPaths)[], paths = binaryPaths()): BinaryPaths {
  const missing = keys.filter((k) => !existsSync(paths[k]));
  if (missing.length > 0) {
    throw new Error(
      `local stack binaries missing (${missing.map((k) => paths[k]).join(", ")}); run \`npm run binaries\``,
    );
  }
  return paths;
}
