// Fakes that behave, in the spirit of the Flink Kubernetes Operator's TestingFlinkService: an
// in-memory Managed Flink behind the ManagedFlinkApi port and an in-memory Kubernetes behind
// KubeWrites, so the whole reconcile runs in milliseconds. Transitions (STARTING → RUNNING, …) happen
// only when a test calls settle(), so every intermediate state can be asserted.
import type {
  ApplicationDetail,
  ApplicationOperationInfoDetails,
  CreateApplicationRequest,
  RunConfiguration,
  SnapshotDetails,
  UpdateApplicationRequest,
  VpcConfiguration,
  VpcConfigurationDescription,
} from "@aws-sdk/client-kinesis-analytics-v2";
import pino from "pino";
import { ConflictError, TerminalError } from "../../../src/aws/errors.js";
import {
  type ManagedFlinkApi,
  ManagedFlinkClients,
  NotFound,
  type Observed,
} from "../../../src/aws/managed-flink.js";
import { EventRecorder } from "../../../src/controller/events.js";
import type { KubeWrites } from "../../../src/controller/kube.js";
import { FlinkApplicationReconciler, type ReconcilerOptions } from "../../../src/controller/reconciler.js";
import { KubeApiError } from "../../../src/controller/runtime/transport.js";
import type { FlinkApplication, FlinkApplicationStatus } from "../../../src/crds/types.generated.js";
import { applyConfigurationUpdate, describeConfiguration } from "../../../src/emulator/configuration.js";
import { unrestricted } from "../../helpers/tenancy.js";

const settled: Record<string, string | undefined> = {
  STARTING: "RUNNING",
  UPDATING: "RUNNING",
  STOPPING: "READY",
  FORCE_STOPPING: "READY",
  DELETING: undefined,
};

interface App {
  detail: ApplicationDetail;
  tags: Record<string, string>;
  snapshots: Map<string, SnapshotDetails>;
  versions: Map<number, ApplicationDetail>;
}

export class FakeManagedFlink implements ManagedFlinkApi {
  readonly apps = new Map<string, App>();
  readonly calls: string[] = [];
  /** The next call of this operation throws this error once. */
  readonly failNext = new Map<string, Error>();
  /** SnapshotCreationTimestamp of new snapshots; tests on a fake clock point it there. */
  snapshotClock: () => Date = () => new Date("2026-11-29T01:00:00Z");
  /** Every UpdateApplication request, as sent. */
  readonly updates: UpdateApplicationRequest[] = [];
  /** How DescribeApplication reports an application; a test can make it report less, or differently. */
  report: (detail: ApplicationDetail) => ApplicationDetail = (d) => d;

  private app(name: string): App {
    const app = this.apps.get(name);
    if (!app) throw new TerminalError("ResourceNotFoundException", `application ${name} not found`);
    return app;
  }

  private record(op: string): void {
    this.calls.push(op);
    const err = this.failNext.get(op);
    if (err) {
      this.failNext.delete(op);
      throw err;
    }
  }

  /** Every transitional status moves on, and CREATING snapshots become READY. */
  settle(): void {
    for (const [name, app] of this.apps) {
      const s = app.detail.ApplicationStatus!;
      if (s in settled) {
        const next = settled[s];
        if (next === undefined) this.apps.delete(name);
        else app.detail.ApplicationStatus = next as never;
      }
      for (const snap of app.snapshots.values())
        if (snap.SnapshotStatus === "CREATING") snap.SnapshotStatus = "READY";
    }
  }

  async describeApplication(name: string) {
    this.record("DescribeApplication");
    const app = this.apps.get(name);
    return app ? this.report(structuredClone(app.detail)) : NotFound;
  }

  async createApplication(input: CreateApplicationRequest) {
    this.record("CreateApplication");
    if (this.apps.has(input.ApplicationName!)) throw new ConflictError("ResourceInUseException", "exists");
    const detail: ApplicationDetail = {
      ApplicationName: input.ApplicationName,
      ApplicationARN: `arn:aws:kinesisanalytics:us-east-1:123456789012:application/${input.ApplicationName}`,
      ApplicationStatus: "READY",
      ApplicationVersionId: 1,
      RuntimeEnvironment: input.RuntimeEnvironment,
      ServiceExecutionRole: input.ServiceExecutionRole,
      CreateTimestamp: new Date("2026-11-29T00:00:00Z"),
      ApplicationConfigurationDescription: describeConfiguration(
        input.ApplicationConfiguration,
        () => "vpc-1",
      ),
      ...(input.CloudWatchLoggingOptions
        ? {
            CloudWatchLoggingOptionDescriptions: input.CloudWatchLoggingOptions.map((o, i) => ({
              CloudWatchLoggingOptionId: `log-${i + 1}`,
              LogStreamARN: o.LogStreamARN,
            })),
          }
        : {}),
    };
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
    this.apps.set(input.ApplicationName!, {
      detail,
      tags,
      snapshots: new Map(),
      versions: new Map([[1, structuredClone(detail)]]),
    });
    return detail;
  }

  async updateApplication(input: UpdateApplicationRequest) {
    this.record("UpdateApplication");
    this.updates.push(structuredClone(input));
    const app = this.app(input.ApplicationName!);
    const d = app.detail;
    if (input.CurrentApplicationVersionId !== d.ApplicationVersionId) {
      throw new ConflictError("ConcurrentModificationException", "version moved");
    }
    d.ApplicationConfigurationDescription = applyConfigurationUpdate(
      d.ApplicationConfigurationDescription!,
      input.ApplicationConfigurationUpdate,
    );
    for (const u of input.CloudWatchLoggingOptionUpdates ?? []) {
      const o = d.CloudWatchLoggingOptionDescriptions?.find(
        (x) => x.CloudWatchLoggingOptionId === u.CloudWatchLoggingOptionId,
      );
      if (o && u.LogStreamARNUpdate) o.LogStreamARN = u.LogStreamARNUpdate;
    }
    if (input.RuntimeEnvironmentUpdate) d.RuntimeEnvironment = input.RuntimeEnvironmentUpdate;
    if (input.ServiceExecutionRoleUpdate) d.ServiceExecutionRole = input.ServiceExecutionRoleUpdate;
    d.ApplicationVersionId = d.ApplicationVersionId! + 1;
    if (d.ApplicationStatus === "RUNNING") d.ApplicationStatus = "UPDATING";
    app.versions.set(d.ApplicationVersionId, structuredClone(d));
    return { detail: structuredClone(d), operationId: `op-${d.ApplicationVersionId}` };
  }

  /** Add/DeleteApplicationVpcConfiguration: a new version; a running application redeploys (UPDATING). */
  private changeVpc(name: string, currentVersionId: number, vpcs: VpcConfigurationDescription[] | undefined) {
    return this.attach(name, currentVersionId, (d) => {
      d.ApplicationConfigurationDescription = {
        ...d.ApplicationConfigurationDescription,
        VpcConfigurationDescriptions: vpcs,
      };
    });
  }

  /** An attachment call: `change` makes a new version; a running application redeploys (UPDATING). */
  private attach(name: string, currentVersionId: number, change: (d: ApplicationDetail) => void) {
    const app = this.app(name);
    const d = app.detail;
    if (currentVersionId !== d.ApplicationVersionId) {
      throw new ConflictError("ConcurrentModificationException", "version moved");
    }
    change(d);
    d.ApplicationVersionId = d.ApplicationVersionId! + 1;
    if (d.ApplicationStatus === "RUNNING") d.ApplicationStatus = "UPDATING";
    app.versions.set(d.ApplicationVersionId, structuredClone(d));
    return { operationId: `op-${d.ApplicationVersionId}`, versionId: d.ApplicationVersionId };
  }

  async addVpcConfiguration(name: string, currentVersionId: number, vpc: VpcConfiguration) {
    this.record("AddApplicationVpcConfiguration");
    const description = {
      VpcConfigurationId: "vpc-1",
      VpcId: "vpc-0",
      SubnetIds: vpc.SubnetIds,
      SecurityGroupIds: vpc.SecurityGroupIds,
    };
    return this.changeVpc(name, currentVersionId, [description]);
  }

  async deleteVpcConfiguration(name: string, currentVersionId: number, id: string) {
    this.record("DeleteApplicationVpcConfiguration");
    const left = this.app(
      name,
    ).detail.ApplicationConfigurationDescription?.VpcConfigurationDescriptions?.filter(
      (v) => v.VpcConfigurationId !== id,
    );
    return this.changeVpc(name, currentVersionId, left?.length ? left : undefined);
  }

  async addCloudWatchLoggingOption(name: string, currentVersionId: number, logStreamARN: string) {
    this.record("AddApplicationCloudWatchLoggingOption");
    if (this.app(name).detail.CloudWatchLoggingOptionDescriptions?.length) {
      throw new TerminalError("InvalidArgumentException", "already has a CloudWatch logging option");
    }
    return this.attach(name, currentVersionId, (d) => {
      d.CloudWatchLoggingOptionDescriptions = [
        { CloudWatchLoggingOptionId: "log-1", LogStreamARN: logStreamARN },
      ];
    });
  }

  async startApplication(name: string, _run?: RunConfiguration) {
    this.record("StartApplication");
    this.app(name).detail.ApplicationStatus = "STARTING";
    return { operationId: "op-start" };
  }

  async stopApplication(name: string, force: boolean) {
    this.record("StopApplication");
    this.app(name).detail.ApplicationStatus = force ? "FORCE_STOPPING" : "STOPPING";
    return { operationId: "op-stop" };
  }

  async deleteApplication(name: string) {
    this.record("DeleteApplication");
    this.app(name).detail.ApplicationStatus = "DELETING";
  }

  async rollbackApplication(_name: string) {
    this.record("RollbackApplication");
    return { operationId: "op-rollback" };
  }

  async listTags(arn: string) {
    this.record("ListTagsForResource");
    const app = [...this.apps.values()].find((a) => a.detail.ApplicationARN === arn);
    return { ...app?.tags };
  }

  async tagResource(arn: string, tags: Record<string, string>) {
    this.record("TagResource");
    const app = [...this.apps.values()].find((a) => a.detail.ApplicationARN === arn)!;
    Object.assign(app.tags, tags);
  }

  async untagResource(arn: string, keys: string[]) {
    this.record("UntagResource");
    const app = [...this.apps.values()].find((a) => a.detail.ApplicationARN === arn)!;
    for (const k of keys) delete app.tags[k];
  }

  async createSnapshot(name: string, snapshotName: string) {
    this.record("CreateApplicationSnapshot");
    const app = this.app(name);
    app.snapshots.set(snapshotName, {
      SnapshotName: snapshotName,
      SnapshotStatus: "CREATING",
      ApplicationVersionId: app.detail.ApplicationVersionId,
      SnapshotCreationTimestamp: this.snapshotClock(),
    });
  }

  async describeSnapshot(name: string, snapshotName: string) {
    this.record("DescribeApplicationSnapshot");
    const snap = this.apps.get(name)?.snapshots.get(snapshotName);
    return snap ? { ...snap } : NotFound;
  }

  async deleteSnapshot(name: string, snapshotName: string) {
    this.record("DeleteApplicationSnapshot");
    this.app(name).snapshots.delete(snapshotName);
  }

  async describeOperation(): Promise<Observed<ApplicationOperationInfoDetails>> {
    this.record("DescribeApplicationOperation");
    return NotFound;
  }

  async describeVersion(name: string, versionId: number) {
    this.record("DescribeApplicationVersion");
    return this.apps.get(name)?.versions.get(versionId) ?? NotFound;
  }
}

function applyMergePatch(target: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** One FlinkApplication in memory: status patches merge into it, finalizers replace, events collect. */
export class FakeKube implements KubeWrites {
  /** Events as the API server holds them: a repeat patched into its earlier Event raises `count`. */
  readonly events: { name: string; type: string; reason: string; message: string; count: number }[] = [];
  eventPatches = 0;
  statusWrites = 0;
  /** The next write throws this error once. */
  failNext?: Error;

  constructor(public obj: FlinkApplication) {}

  private check(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }

  /** A JSON merge patch (RFC 7386), as the API server applies one: nested objects merge. */
  async patchStatus(_ns: string, _name: string, status: FlinkApplicationStatus) {
    this.check();
    this.statusWrites++;
    const next = applyMergePatch(this.obj.status ?? {}, status);
    this.obj = { ...this.obj, status: next as FlinkApplicationStatus };
    return this.obj;
  }

  async setFinalizers(obj: FlinkApplication, finalizers: string[]) {
    this.check();
    this.obj = { ...obj, metadata: { ...obj.metadata, finalizers } };
    return this.obj;
  }

  async createEvent(e: Record<string, unknown>) {
    this.events.push({
      name: (e.metadata as { name: string }).name,
      type: e.type as string,
      reason: e.reason as string,
      message: e.message as string,
      count: e.count as number,
    });
  }

  async patchEvent(_ns: string, name: string, patch: { count: number; message: string }) {
    const e = this.events.find((x) => x.name === name);
    if (!e) throw new KubeApiError(404, `events "${name}" not found`, "NotFound");
    this.eventPatches++;
    Object.assign(e, { count: patch.count, message: patch.message });
  }
}

export { unrestricted };

export function reconcilerFor(
  aws: FakeManagedFlink,
  kube: FakeKube,
  options: Partial<ReconcilerOptions> = {},
) {
  const log = pino({ level: "silent" });
  return new FlinkApplicationReconciler({
    kube,
    aws: new ManagedFlinkClients(() => aws),
    events: new EventRecorder(kube, log, "test"),
    log,
    defaultRegion: "us-east-1",
    pollIntervalMs: 1000,
    now: () => new Date("2026-11-29T12:00:00Z"),
    tenancy: { rulesFor: () => [{ source: "test", rules: unrestricted }] },
    ...options,
  });
}

export function flinkApp(spec: Partial<FlinkApplication["spec"]> = {}, generation = 1): FlinkApplication {
  return {
    apiVersion: "managedflink.dev/v1alpha1",
    kind: "FlinkApplication",
    metadata: { name: "orders", namespace: "team-a", generation, uid: "uid-1" },
    spec: {
      runtimeEnvironment: "FLINK-1_20",
      serviceExecutionRole: "arn:aws:iam::123456789012:role/flink",
      code: { s3: { bucket: "jars", key: "orders.jar" } },
      ...spec,
    },
  };
}
