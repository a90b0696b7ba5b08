// The one port through which the controller reaches Managed Service for Apache Flink. The reconciler
// never touches the SDK; tests drive the real SDK against the emulator through this same port.
import {
  AddApplicationCloudWatchLoggingOptionCommand,
  AddApplicationVpcConfigurationCommand,
  type ApplicationDetail,
  type ApplicationOperationInfoDetails,
  CreateApplicationCommand,
  type CreateApplicationRequest,
  CreateApplicationSnapshotCommand,
  DeleteApplicationCommand,
  DeleteApplicationSnapshotCommand,
  DeleteApplicationVpcConfigurationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  DescribeApplicationSnapshotCommand,
  DescribeApplicationVersionCommand,
  KinesisAnalyticsV2Client,
  ListTagsForResourceCommand,
  RollbackApplicationCommand,
  type RunConfiguration,
  type SnapshotDetails,
  StartApplicationCommand,
  StopApplicationCommand,
  type Tag,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApplicationCommand,
  type UpdateApplicationRequest,
  type VpcConfiguration,
} from "@aws-sdk/client-kinesis-analytics-v2";
import type { AwsCredentialIdentityProvider } from "./assume-role.js";
import { type BudgetShare, budgetEveryAttempt } from "./budget.js";
import { classifyAwsError, isNotFound } from "./errors.js";

export type { BudgetShare } from "./budget.js";

export const NotFound = Symbol("NotFound");
export type Observed<T> = T | typeof NotFound;

export interface ManagedFlinkApi {
  describeApplication(name: string): Promise<Observed<ApplicationDetail>>;
  createApplication(input: CreateApplicationRequest): Promise<ApplicationDetail>;
  updateApplication(
    input: UpdateApplicationRequest,
  ): Promise<{ detail: ApplicationDetail; operationId?: string }>;
  startApplication(name: string, run?: RunConfiguration): Promise<{ operationId?: string }>;
  stopApplication(name: string, force: boolean): Promise<{ operationId?: string }>;
  deleteApplication(name: string, createTimestamp: Date): Promise<void>;
  rollbackApplication(name: string, currentVersionId: number): Promise<{ operationId?: string }>;
  listTags(arn: string): Promise<Record<string, string>>;
  tagResource(arn: string, tags: Record<string, string>): Promise<void>;
  untagResource(arn: string, keys: string[]): Promise<void>;
  createSnapshot(name: string, snapshotName: string): Promise<void>;
  describeSnapshot(name: string, snapshotName: string): Promise<Observed<SnapshotDetails>>;
  deleteSnapshot(name: string, snapshotName: string, created: Date): Promise<void>;
  describeOperation(name: string, operationId: string): Promise<Observed<ApplicationOperationInfoDetails>>;
  describeVersion(name: string, versionId: number): Promise<Observed<ApplicationDetail>>;
  addVpcConfiguration(
    name: string,
    currentVersionId: number,
    vpc: VpcConfiguration,
  ): Promise<{ operationId?: string; versionId?: number }>;
  deleteVpcConfiguration(
    name: string,
    currentVersionId: number,
    vpcConfigurationId: string,
  ): Promise<{ operationId?: string; versionId?: number }>;
  addCloudWatchLoggingOption(
    name: string,
    currentVersionId: number,
    logStreamARN: string,
  ): Promise<{ operationId?: string; versionId?: number }>;
}

export type CallObserver = (
  operation: string,
  outcome: "success" | "error",
  seconds: number,
  errorType?: string,
) => void;

/** The AWS SDK v3 implementation, one client per region (and per priority when budgeted). */
export class SdkManagedFlink implements ManagedFlinkApi {
  private readonly client: KinesisAnalyticsV2Client;

  constructor(
    region: string,
    private readonly observe: CallObserver = () => {},
    credentials?: AwsCredentialIdentityProvider,
    share?: BudgetShare,
  ) {
    // The default credential chain covers IRSA, EKS Pod Identity and environment credentials; the
    // SDK reads AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2 itself. Adaptive retry slows down on throttling
    // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
    this.client = new KinesisAnalyticsV2Client({
      region,
      retryMode: "adaptive",
      maxAttempts: 5,
      ...(credentials ? { credentials } : {}),
    });
    if (share) budgetEveryAttempt(this.client, share);
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const out = await fn();
      this.observe(operation, "success", (performance.now() - started) / 1000);
      return out;
    } catch (err) {
      this.observe(operation, "error", (performance.now() - started) / 1000, (err as Error)?.name);
      throw err;
    }
  }

  /** NotFound is an answer, not a failure; every other error is classified for the reconciler. */
  private async read<T>(operation: string, fn: () => Promise<T>): Promise<Observed<T>> {
    try {
      return await this.call(operation, fn);
    } catch (err) {
      if (isNotFound(err)) return NotFound;
      throw classifyAwsError(err, operation);
    }
  }

  private async write<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.call(operation, fn);
    } catch (err) {
      throw classifyAwsError(err, operation);
    }
  }

  async describeApplication(name: string) {
    const out = await this.read("DescribeApplication", () =>
      this.client.send(new DescribeApplicationCommand({ ApplicationName: name })),
    );
    return out === NotFound ? NotFound : out.ApplicationDetail!;
  }

  async createApplication(input: CreateApplicationRequest) {
    const out = await this.write("CreateApplication", () =>
      this.client.send(new CreateApplicationCommand(input)),
    );
    return out.ApplicationDetail!;
  }

  async updateApplication(input: UpdateApplicationRequest) {
    const out = await this.write("UpdateApplication", () =>
      this.client.send(new UpdateApplicationCommand(input)),
    );
    return { detail: out.ApplicationDetail!, operationId: out.OperationId };
  }

  async addVpcConfiguration(name: string, currentVersionId: number, vpc: VpcConfiguration) {
    const out = await this.write("AddApplicationVpcConfiguration", () =>
      this.client.send(
        new AddApplicationVpcConfigurationCommand({
          ApplicationName: name,
          CurrentApplicationVersionId: currentVersionId,
          VpcConfiguration: vpc,
        }),
      ),
    );
    return { operationId: out.OperationId, versionId: out.ApplicationVersionId };
  }

  async deleteVpcConfiguration(name: string, currentVersionId: number, vpcConfigurationId: string) {
    const out = await this.write("DeleteApplicationVpcConfiguration", () =>
      this.client.send(
        new DeleteApplicationVpcConfigurationCommand({
          ApplicationName: name,
          CurrentApplicationVersionId: currentVersionId,
          VpcConfigurationId: vpcConfigurationId,
        }),
      ),
    );
    return { operationId: out.OperationId, versionId: out.ApplicationVersionId };
  }

  async addCloudWatchLoggingOption(name: string, currentVersionId: number, logStreamARN: string) {
    const out = await this.write("AddApplicationCloudWatchLoggingOption", () =>
      this.client.send(
        new AddApplicationCloudWatchLoggingOptionCommand({
          ApplicationName: name,
          CurrentApplicationVersionId: currentVersionId,
          CloudWatchLoggingOption: { LogStreamARN: logStreamARN },
        }),
      ),
    );
    return { operationId: out.OperationId, versionId: out.ApplicationVersionId };
  }

  async startApplication(name: string, run?: RunConfiguration) {
    const out = await this.write("StartApplication", () =>
      this.client.send(new StartApplicationCommand({ ApplicationName: name, RunConfiguration: run })),
    );
    return { operationId: out.OperationId };
  }

  async stopApplication(name: string, force: boolean) {
    const out = await this.write("StopApplication", () =>
      this.client.send(new StopApplicationCommand({ ApplicationName: name, Force: force })),
    );
    return { operationId: out.OperationId };
  }

  async deleteApplication(name: string, createTimestamp: Date) {
    await this.write("DeleteApplication", () =>
      this.client.send(
        new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: createTimestamp }),
      ),
    );
  }

  async rollbackApplication(name: string, currentVersionId: number) {
    const out = await this.write("RollbackApplication", () =>
      this.client.send(
        new RollbackApplicationCommand({
          ApplicationName: name,
          CurrentApplicationVersionId: currentVersionId,
        }),
      ),
    );
    return { operationId: out.OperationId };
  }

  async listTags(arn: string) {
    const out = await this.write("ListTagsForResource", () =>
      this.client.send(new ListTagsForResourceCommand({ ResourceARN: arn })),
    );
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
  }

  async tagResource(arn: string, tags: Record<string, string>) {
    const list: Tag[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await this.write("TagResource", () =>
      this.client.send(new TagResourceCommand({ ResourceARN: arn, Tags: list })),
    );
  }

  async untagResource(arn: string, keys: string[]) {
    await this.write("UntagResource", () =>
      this.client.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: keys })),
    );
  }

  async createSnapshot(name: string, snapshotName: string) {
    await this.write("CreateApplicationSnapshot", () =>
      this.client.send(
        new CreateApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: snapshotName }),
      ),
    );
  }

  async describeSnapshot(name: string, snapshotName: string) {
    const out = await this.read("DescribeApplicationSnapshot", () =>
      this.client.send(
        new DescribeApplicationSnapshotCommand({ ApplicationName: name, SnapshotName: snapshotName }),
      ),
    );
    return out === NotFound ? NotFound : out.SnapshotDetails!;
  }

  async deleteSnapshot(name: string, snapshotName: string, created: Date) {
    await this.write("DeleteApplicationSnapshot", () =>
      this.client.send(
        new DeleteApplicationSnapshotCommand({
          ApplicationName: name,
          SnapshotName: snapshotName,
          SnapshotCreationTimestamp: created,
        }),
      ),
    );
  }

  async describeOperation(name: string, operationId: string) {
    const out = await this.read("DescribeApplicationOperation", () =>
      this.client.send(
        new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: operationId }),
      ),
    );
    return out === NotFound ? NotFound : out.ApplicationOperationInfoDetails!;
  }

  async describeVersion(name: string, versionId: number) {
    const out = await this.read("DescribeApplicationVersion", () =>
      this.client.send(
        new DescribeApplicationVersionCommand({ ApplicationName: name, ApplicationVersionId: versionId }),
      ),
    );
    return out === NotFound ? NotFound : out.ApplicationVersionDetail!;
  }
}

/**
 * Takes a token from the budget before every HTTP attempt — after the retry middleware, so that the
 * SDK's own retries are paid for too and the budget bounds what reaches AWS — and tells the budget
 * when AWS throttled an attempt.
 */

/**
 * One SDK client per region, assumed role (none: the operator's own credentials) and work-queue
 * priority, created on first use. Clients of one region
 * share the budget; the priority only decides who goes first when tokens are short.
 */
/** Which client: the role assumed for a tenant (none: the operator's own) and the work's priority. */
export interface ClientOptions {
  assumeRoleARN?: string;
  priority?: number;
}

export class ManagedFlinkClients {
  private readonly clients = new Map<string, ManagedFlinkApi>();
  constructor(
    private readonly factory: (region: string, opts: ClientOptions) => ManagedFlinkApi = (r) =>
      new SdkManagedFlink(r),
  ) {}
  forRegion(region: string, opts: ClientOptions = {}): ManagedFlinkApi {
    const key = `${region}\u0000${opts.assumeRoleARN ?? ""}\u0000${opts.priority ?? 0}`;
    let api = this.clients.get(key);
    if (!api) {
      api = this.factory(region, opts);
      this.clients.set(key, api);
    }
    return api;
  }
}
