// The FlinkApplication API (managedflink.dev/v1alpha1): the single source of truth from which
// src/crds/generate.ts writes manifests/crds/ and src/crds/types.generated.ts.
//
// Limits mirror the kinesisanalyticsv2 service model (botocore service-2.json, shapes named in the
// comments) so that a manifest AWS would reject is rejected at admission, with a message that names
// the field, instead of failing later in the controller.
import {
  bucketNamePattern,
  bucketNameRules,
  dotSegmentPattern,
  httpUrlPattern,
  s3UrlPattern,
  utf8Length,
  utf16Length,
} from "./aws-rules.js";
import {
  bool,
  int,
  listOf,
  mapOf,
  num,
  obj,
  type Schema,
  str,
  toOpenApi,
  type Validation,
} from "./schema-dsl.js";

export const group = "managedflink.dev";
export const version = "v1alpha1";
export const kind = "FlinkApplication";
export const plural = "flinkapplications";
export const singular = "flinkapplication";
export const shortNames = ["flinkapp", "fa"];

/** Shape ApplicationName / SnapshotName / Id: `[a-zA-Z0-9_.-]+`. */
export const awsNamePattern = "^[a-zA-Z0-9_.-]+$";
export const maxApplicationNameLength = 128;

/** The tag the operator puts on every application it creates; src/controller/desired.ts writes it. */
export const ownerTagKey = "managedflink.dev/owner";

/**
 * AWS allows 50 user-defined tags per application ("Using tagging",
 * https://docs.aws.amazon.com/kinesisanalytics/latest/java/how-tagging.html, and the Tags member of
 * CreateApplication); the operator adds its owner tag to the user's.
 */
export const maxUserTags = 49;

/**
 * The longest metadata.name whose owner tag value `<namespace>/<name>` fits AWS's 256-character tag
 * value (shape TagValue). CEL sees only metadata.name and metadata.generateName of the metadata
 * ("Validation rules" in https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/:
 * "No other metadata properties are accessible"), so the bound assumes the longest namespace, a
 * 63-character DNS label: 256 - 63 - 1 = 192.
 */
export const maxMetadataNameLength = 192;

/**
 * Characters AWS allows in tag keys and values: letters, digits and white space representable in UTF-8,
 * and _ . : / = + - @; and aws: (in any case) is reserved as a prefix of keys and values. The Managed
 * Flink guide does not restate the common AWS tag restrictions; they read the same across services, for
 * example https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html.
 */
const tagCharacters = "\\p{L}\\p{Z}\\p{N}_.:/=+\\-@";

/** An IAM role ARN (`arn:<partition>:iam::<account>:role/<path><name>`, printable ASCII). */
const roleArnPattern = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[!-~]+$";
/**
 * A log stream ARN: exactly eight colons, none inside a part (log group and stream names cannot hold
 * one: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html).
 * The tenancy rule logStreams relies on it (src/policy/evaluate.ts checkLogStream).
 */
export const logStreamArnPattern =
  "^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^:]+:log-stream:[^:]+$";

// Maven coordinates as src/artifacts/locations.ts accepts them: no leading dot and no "..", which would
// walk out of the repository path.
const noDotDot: Validation = { rule: "!self.contains('..')", message: "must not contain .." };

const httpUrlMessage =
  "an http(s) URL must be http(s)://<host>[:<port>][/<path>]: a DNS host name or an IPv4 address (no IPv6 literal), a port up to 65535, no white space";

/**
 * Managed Flink runtimes this API accepts: the FLINK-* values of the model's RuntimeEnvironment enum
 * that AWS still lets you create (test/unit/crds.test.ts checks each against the model). Older ones
 * (FLINK-1_6 … FLINK-1_13) reached end of support and cannot be used for new applications.
 */
export const runtimeEnvironments = [
  "FLINK-1_15",
  "FLINK-1_18",
  "FLINK-1_19",
  "FLINK-1_20",
  "FLINK-2_2",
  "FLINK-2_3",
];

// CEL: FLINK-<major>_<minor> as a comparable number, for the no-downgrade rule.
const runtimeRank = (v: string) =>
  `(int(${v}.split('-')[1].split('_')[0]) * 1000 + int(${v}.split('-')[1].split('_')[1]))`;

const s3Object = obj(
  "An object in S3 that holds the application code (a jar for Java, a zip for PyFlink).",
  {
    bucket: str("Bucket name (the operator builds the BucketARN).", {
      minLength: 3,
      maxLength: 63,
      pattern: bucketNamePattern,
      "x-kubernetes-validations": bucketNameRules("self", "bucket names"),
    }),
    key: str("Object key (shape FileKey; S3 allows at most 1024 bytes of UTF-8).", {
      minLength: 1,
      maxLength: 1024,
      "x-kubernetes-validations": [
        { rule: `${utf8Length("self")} <= 1024`, message: "object keys must be at most 1024 bytes of UTF-8" },
      ],
    }),
    objectVersion: str("Object version, for versioned buckets (shape ObjectVersion).", {
      maxLength: 1024,
      "x-kubernetes-validations": [
        {
          rule: `${utf8Length("self")} <= 1024`,
          message: "object versions must be at most 1024 bytes of UTF-8",
        },
      ],
    }),
  },
  { required: ["bucket", "key"], tsName: "S3ObjectReference" },
);

const artifact = obj(
  "A build artifact the operator fetches, verifies against sha256 and uploads to S3 under a content-addressed key.",
  {
    url: str(
      "https:// or s3:// URL of the artifact. http:// and private, loopback or link-local addresses are refused unless the operator's allowlist (ARTIFACT_ALLOWED_HOSTS / ARTIFACT_ALLOWED_CIDRS) permits them.",
      {
        maxLength: 2048,
        pattern: "^(https?|s3)://[^\\x00-\\x20\\x7F]+$",
        "x-kubernetes-validations": [
          {
            rule: `!self.startsWith('s3://') || self.matches(r'${s3UrlPattern}')`,
            message:
              "an s3:// URL must be s3://<bucket>/<key>: a valid bucket name, a non-empty key without ? or #, and % only in escapes of UTF-8 (%20, %C3%A9)",
          },
          { rule: `self.startsWith('s3://') || self.matches(r'${httpUrlPattern}')`, message: httpUrlMessage },
          {
            rule: `!self.startsWith('s3://') || !self.matches(r'${dotSegmentPattern}')`,
            message:
              "an s3:// URL must not contain . or .. path segments: URL parsing removes them, changing the key",
          },
          ...bucketNameRules(
            "self.split('/')[2]",
            "the bucket of an s3:// URL",
            "!self.matches('^s3://[^/]+/')",
          ),
        ],
      },
    ),
    maven: obj(
      "Maven coordinates resolved against a repository.",
      {
        repository: str("Repository base URL (https; http only for allowlisted hosts).", {
          maxLength: 2048,
          pattern: "^https?://[^\\x00-\\x20\\x7F]+$",
          "x-kubernetes-validations": [
            { rule: `self.matches(r'${httpUrlPattern}')`, message: httpUrlMessage },
          ],
        }),
        groupId: str("groupId", {
          minLength: 1,
          maxLength: 256,
          pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
          "x-kubernetes-validations": [noDotDot],
        }),
        artifactId: str("artifactId", {
          minLength: 1,
          maxLength: 256,
          pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
          "x-kubernetes-validations": [noDotDot],
        }),
        version: str("version", {
          minLength: 1,
          maxLength: 128,
          pattern: "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$",
          "x-kubernetes-validations": [noDotDot],
        }),
        classifier: str("classifier", {
          maxLength: 128,
          pattern: "^([A-Za-z0-9_][A-Za-z0-9_.-]*)?$",
          "x-kubernetes-validations": [noDotDot],
        }),
        extension: str("File extension.", { enum: ["jar", "zip"], default: "jar" }),
      },
      { required: ["repository", "groupId", "artifactId", "version"], tsName: "MavenCoordinates" },
    ),
    sha256: str("Expected SHA-256 of the artifact, lower-case hex. Nothing is uploaded on a mismatch.", {
      pattern: "^[a-f0-9]{64}$",
    }),
    bucket: str("Bucket the operator uploads to.", {
      minLength: 3,
      maxLength: 63,
      pattern: bucketNamePattern,
      "x-kubernetes-validations": bucketNameRules("self", "bucket names"),
    }),
    prefix: str("Key prefix for the upload; the key is <prefix>/<sha256>.<ext>.", {
      maxLength: 512,
      default: "flink-applications",
      "x-kubernetes-validations": [
        {
          rule: `${utf8Length("self")} <= 512`,
          message: "the prefix must be at most 512 bytes of UTF-8, so that the key fits S3's 1024 bytes",
        },
      ],
    }),
  },
  {
    required: ["sha256", "bucket"],
    tsName: "CodeArtifact",
    "x-kubernetes-validations": [
      { rule: "has(self.url) != has(self.maven)", message: "exactly one of url or maven must be set" },
    ],
  },
);

const spec = obj(
  "Desired state of a Managed Service for Apache Flink application.",
  {
    applicationName: str(
      "Name of the application in AWS (shape ApplicationName: 1-128 characters of [a-zA-Z0-9_.-]). Defaults to metadata.name. Immutable.",
      { minLength: 1, maxLength: maxApplicationNameLength, pattern: awsNamePattern },
    ),
    region: str("AWS region of the application. Defaults to the operator's region. Immutable.", {
      pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]+$",
      maxLength: 32,
    }),
    runtimeEnvironment: str(
      "Managed Flink runtime, for example FLINK-1_20. Upgrades only; a downgrade is refused.",
      {
        enum: runtimeEnvironments,
      },
    ),
    serviceExecutionRole: str(
      "ARN of the IAM role the application runs as (shape RoleARN): arn:<partition>:iam::<account>:role/<name>.",
      {
        minLength: 1,
        maxLength: 2048,
        pattern: roleArnPattern,
      },
    ),
    description: str("Application description (shape ApplicationDescription).", {
      maxLength: 1024,
      "x-kubernetes-validations": [
        {
          rule: `${utf16Length("self")} <= 1024`,
          message:
            "the description must be at most 1024 UTF-16 code units (a character outside the BMP counts twice)",
        },
      ],
    }),
    tags: mapOf(
      `Tags on the application: at most ${maxUserTags} (AWS allows 50 and the operator adds ${ownerTagKey}); keys 1-128 and values 0-256 characters of letters, digits, white space and _ . : / = + - @.`,
      str("Tag value.", {
        maxLength: 256,
        pattern: `^[${tagCharacters}]*$`,
        "x-kubernetes-validations": [
          {
            rule: `${utf16Length("self")} <= 256`,
            message:
              "tag values must be at most 256 UTF-16 code units (a character outside the BMP counts twice)",
          },
          {
            rule: "!self.lowerAscii().startsWith('aws:')",
            message: "tag values must not start with aws: (in any case): AWS reserves the prefix",
          },
        ],
      }),
      {
        maxProperties: maxUserTags,
        "x-kubernetes-validations": [
          {
            rule: `self.all(k, k != '' && ${utf16Length("k")} <= 128)`,
            message: "tag keys must be 1-128 UTF-16 code units (a character outside the BMP counts twice)",
          },
          {
            rule: `self.all(k, k.matches(r'^[${tagCharacters}]+$'))`,
            message: "tag keys may contain only letters, digits, white space and _ . : / = + - @",
          },
          {
            rule: "self.all(k, !k.lowerAscii().startsWith('aws:'))",
            message: "tag keys must not start with aws: (in any case): AWS reserves the prefix",
          },
          {
            rule: `!('${ownerTagKey}' in self)`,
            message: `the tag key ${ownerTagKey} is reserved: the operator sets it to <namespace>/<name>`,
          },
        ],
      },
    ),
    desiredState: str(
      "Running starts the application and keeps it running; Stopped stops it (with a snapshot when snapshots are enabled).",
      {
        enum: ["Running", "Stopped"],
        default: "Running",
      },
    ),
    code: obj(
      "Where the application code comes from: an existing S3 object, or an artifact the operator uploads.",
      { s3: s3Object, artifact },
      {
        tsName: "ApplicationCode",
        "x-kubernetes-validations": [
          {
            rule: "has(self.s3) != has(self.artifact)",
            message: "exactly one of code.s3 or code.artifact must be set",
          },
        ],
      },
    ),
    checkpointing: obj(
      "Checkpointing. Omitted: the service defaults (enabled, every 60 s, minimum pause 5 s).",
      {
        enabled: bool("Whether checkpointing is enabled.", { default: true }),
        intervalMillis: int("Checkpoint interval in milliseconds (shape CheckpointInterval, at least 1).", {
          minimum: 1,
        }),
        minPauseBetweenCheckpointsMillis: int(
          "Minimum pause between checkpoints in milliseconds (shape MinPauseBetweenCheckpoints, at least 0).",
          { minimum: 0 },
        ),
      },
      { tsName: "CheckpointingSpec" },
    ),
    parallelism: obj(
      "Parallelism. Omitted: the service defaults (parallelism 1, 1 per KPU, autoscaling on).",
      {
        parallelism: int("Configured parallelism (shape Parallelism, at least 1). `kubectl scale` sets it.", {
          minimum: 1,
          maximum: 65536,
        }),
        parallelismPerKPU: int("Parallel tasks per KPU (shape ParallelismPerKPU, at least 1).", {
          minimum: 1,
          maximum: 8,
        }),
        autoScaling: bool(
          "Let the service raise current parallelism above the configured value under load. Omitted: left as the service has it (on by default), so `kubectl scale` keeps it.",
        ),
      },
      { tsName: "ParallelismSpec" },
    ),
    snapshots: obj(
      "Snapshots (savepoints).",
      {
        enabled: bool("Whether the service takes snapshots (ApplicationSnapshotConfiguration).", {
          default: true,
        }),
        beforeUpdate: bool(
          "Take a snapshot before every update that restarts a running application, and restore the update from exactly that snapshot.",
          { default: true },
        ),
        retention: obj(
          "Which operator-made snapshots to keep. Snapshots the operator did not make, and the one the running version restored from, are never deleted.",
          {
            maxCount: int("Keep at most this many operator-made snapshots per application.", {
              minimum: 1,
              maximum: 50,
              default: 10,
            }),
            maxAgeDays: int("Delete operator-made snapshots older than this (the newest is always kept).", {
              minimum: 1,
              maximum: 3650,
            }),
          },
          { tsName: "SnapshotRetention" },
        ),
        request: str(
          "Set or change this token to take one on-demand snapshot of a running application (named <applicationName>-ondemand-<token>).",
          { minLength: 1, maxLength: 64, pattern: "^[a-zA-Z0-9_.-]+$" },
        ),
        schedule: str(
          "Take a snapshot of a running application when the newest operator snapshot is older than this interval, for example 6h, 90m or 1h30m (at least 5m). Never while an update runs; retention applies.",
          { minLength: 2, maxLength: 16, pattern: "^([1-9][0-9]{0,3}h)?([1-9][0-9]{0,4}m)?$" },
        ),
      },
      {
        tsName: "SnapshotsSpec",
        "x-kubernetes-validations": [
          {
            rule: "!(has(self.enabled) && !self.enabled && has(self.beforeUpdate) && self.beforeUpdate)",
            message:
              "snapshots.beforeUpdate needs snapshots.enabled; set beforeUpdate: false to update without a snapshot",
          },
          {
            rule: "!has(self.schedule) || duration(self.schedule) >= duration('5m')",
            message: "snapshots.schedule must be at least 5m",
            fieldPath: ".schedule",
          },
          {
            // CreateApplicationSnapshot fails with InvalidApplicationConfigurationException when the
            // application's snapshots are off (ApplicationSnapshotConfiguration).
            rule: "!(has(self.enabled) && !self.enabled && has(self.request))",
            message: "snapshots.request needs snapshots.enabled; remove the request or enable snapshots",
            fieldPath: ".request",
          },
        ],
      },
    ),
    rollback: obj(
      "What happens when an update fails (the application drops to READY or ROLLED_BACK, or is not RUNNING on the new version in time).",
      {
        systemRollback: bool(
          "Turn on Managed Flink's system rollback (ApplicationSystemRollbackConfiguration): the service itself reverts a failed update.",
          { default: false },
        ),
        onFailure: str(
          "Report (the default) only reports a failed update; RestorePreviousVersion also reverts to the pre-update configuration and restores the pre-update snapshot.",
          { enum: ["Report", "RestorePreviousVersion"], default: "Report" },
        ),
        updateTimeoutSeconds: int("How long an update may take to reach RUNNING on the new version.", {
          minimum: 30,
          maximum: 86400,
          default: 900,
        }),
        stabilizationSeconds: int(
          "How long the new version's job must stay healthy before an update counts as done: no full restart beyond spec.health.maxRestarts and, with checkpointing on, a completed checkpoint. A job that crash-loops within it is a failed update (rolled back with onFailure RestorePreviousVersion). 0 turns the check off; it also needs the operator's job health checks.",
          { minimum: 0, maximum: 3600, default: 60 },
        ),
      },
      { tsName: "RollbackSpec" },
    ),
    monitoring: obj(
      "CloudWatch monitoring. Omitted: the service defaults.",
      {
        logLevel: str("Log level (shape LogLevel).", { enum: ["INFO", "WARN", "ERROR", "DEBUG"] }),
        metricsLevel: str("Metrics level (shape MetricsLevel).", {
          enum: ["APPLICATION", "TASK", "OPERATOR", "PARALLELISM"],
        }),
      },
      { tsName: "MonitoringSpec" },
    ),
    health: obj(
      "How the job's health is judged from its CloudWatch metrics (status.job). Omitted members take the operator-wide defaults (chart values health.defaults).",
      {
        checks: str(
          "Enabled: Ready follows the job's health as well as the application's status; Disabled: Ready says only that the application is RUNNING, and no metrics are read for it.",
          { enum: ["Enabled", "Disabled"] },
        ),
        windowSeconds: int("The look-back for full restarts and failed checkpoints.", {
          minimum: 60,
          maximum: 86400,
        }),
        maxRestarts: int("Full restarts tolerated within the window before the job is Restarting.", {
          minimum: 0,
          maximum: 1000,
        }),
        maxFailedCheckpoints: int(
          "Failed checkpoints tolerated within the window before the job is CheckpointsFailing.",
          { minimum: 0, maximum: 1000 },
        ),
        maxMillisBehindLatest: int(
          "The Kinesis source's lag (millisBehindLatest) above which the job is FallingBehind.",
          { minimum: 0, maximum: 604800000 },
        ),
      },
      { tsName: "HealthSpec" },
    ),
    logging: obj(
      "Where the job's log lines go (CloudWatchLoggingOptions): a log stream, given by ARN or by log group and stream name (the ARN is then built from the region and the account of serviceExecutionRole). The level is spec.monitoring.logLevel. The log group and stream must exist. When an update fails or the job is unhealthy, the newest ERROR lines of this stream are quoted in status.",
      {
        logStreamARN: str("The log stream's ARN (shape LogStreamARN).", {
          minLength: 1,
          maxLength: 2048,
          pattern: logStreamArnPattern,
        }),
        logGroup: str("Log group name.", { minLength: 1, maxLength: 512, pattern: "^[.\\-_/#A-Za-z0-9]+$" }),
        logStream: str("Log stream name.", { minLength: 1, maxLength: 512, pattern: "^[^:*]+$" }),
      },
      {
        tsName: "LoggingSpec",
        "x-kubernetes-validations": [
          {
            rule: "has(self.logStreamARN) != (has(self.logGroup) && has(self.logStream))",
            message: "logging needs either logStreamARN, or logGroup and logStream (not both)",
          },
          {
            rule: "has(self.logGroup) == has(self.logStream)",
            message: "logging.logGroup and logging.logStream go together",
          },
        ],
      },
    ),
    environmentProperties: mapOf(
      "Runtime properties: property group id (1-50 characters of [a-zA-Z0-9_.-]) to key/value pairs (1-50 per group; keys and values 1-2048 characters).",
      mapOf(
        "Properties of one group.",
        str("Property value.", {
          minLength: 1,
          maxLength: 2048,
          "x-kubernetes-validations": [
            {
              rule: `${utf16Length("self")} <= 2048`,
              message:
                "property values must be at most 2048 UTF-16 code units (a character outside the BMP counts twice)",
            },
          ],
        }),
        {
          maxProperties: 50,
          "x-kubernetes-validations": [
            {
              // Shape PropertyMap has at least one entry: AWS refuses an empty group.
              rule: "size(self) >= 1",
              message:
                "a property group must have at least one property (AWS allows 1-50); remove the empty group",
            },
            {
              rule: `self.all(k, k != '' && ${utf16Length("k")} <= 2048)`,
              message:
                "property keys must be 1-2048 UTF-16 code units (a character outside the BMP counts twice)",
            },
          ],
        },
      ),
      {
        maxProperties: 50,
        "x-kubernetes-validations": [
          {
            rule: "self.all(g, size(g) >= 1 && size(g) <= 50 && g.matches('^[a-zA-Z0-9_.-]+$'))",
            message: "property group ids must be 1-50 characters of [a-zA-Z0-9_.-]",
          },
        ],
      },
    ),
    environmentPropertiesFrom: listOf(
      "Property groups whose key/value pairs come from a ConfigMap in the same namespace. An edit of the ConfigMap is an update like any other (snapshot first while running). Secrets are refused: Managed Flink shows properties in plain text to anyone allowed DescribeApplication; let the job read AWS Secrets Manager instead (docs/properties-from-configmaps.md).",
      obj(
        "One property group from one ConfigMap.",
        {
          propertyGroupId: str("The property group id (1-50 characters of [a-zA-Z0-9_.-]).", {
            minLength: 1,
            maxLength: 50,
            pattern: "^[a-zA-Z0-9_.-]+$",
          }),
          configMapRef: obj(
            "The ConfigMap whose data becomes the group's properties (at most 50 keys; values 1-2048 characters).",
            { name: str("ConfigMap name.", { minLength: 1, maxLength: 253 }) },
            { required: ["name"], tsName: "ConfigMapReference" },
          ),
          secretRef: obj(
            "Refused (see environmentPropertiesFrom): present only so that the refusal can explain itself.",
            { name: str("Secret name.", { maxLength: 253 }) },
            { tsName: "SecretReference" },
          ),
        },
        {
          required: ["propertyGroupId"],
          tsName: "PropertySource",
          "x-kubernetes-validations": [
            {
              rule: "!has(self.secretRef)",
              message:
                "secretRef is not supported: Managed Flink returns properties in plain text to anyone allowed DescribeApplication; keep the secret in AWS Secrets Manager and let the job read it (docs/properties-from-configmaps.md)",
              fieldPath: ".secretRef",
            },
            {
              rule: "has(self.configMapRef)",
              message: "configMapRef is required",
              fieldPath: ".configMapRef",
            },
          ],
        },
      ),
      {
        maxItems: 50,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["propertyGroupId"],
      },
    ),
    vpc: obj(
      "Run the application in a VPC.",
      {
        subnetIds: listOf(
          "Subnets (1-16).",
          str("Subnet id.", { pattern: "^subnet-[0-9a-f]+$", maxLength: 64 }),
          {
            minItems: 1,
            maxItems: 16,
            "x-kubernetes-list-type": "set",
          },
        ),
        securityGroupIds: listOf(
          "Security groups (1-5).",
          str("Security group id.", { pattern: "^sg-[0-9a-f]+$", maxLength: 64 }),
          { minItems: 1, maxItems: 5, "x-kubernetes-list-type": "set" },
        ),
      },
      { required: ["subnetIds", "securityGroupIds"], tsName: "VpcSpec" },
    ),
    encryption: obj(
      "Encryption at rest of the application's running state and snapshots (ApplicationEncryptionConfiguration). Omitted: left as the service has it.",
      {
        keyType: str("AWS_OWNED_KEY or CUSTOMER_MANAGED_KEY (shape KeyType).", {
          enum: ["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KEY"],
        }),
        keyId: str("The KMS key (key ARN, key id, alias ARN or alias name) for CUSTOMER_MANAGED_KEY.", {
          minLength: 1,
          maxLength: 2048,
          // Every form of KMS key identifier is printable ASCII, and then the 2048 UTF-16 units of shape
          // KeyId are 2048 characters. Found by admission-property.test.ts.
          pattern: "^[!-~]+$",
        }),
      },
      {
        required: ["keyType"],
        tsName: "EncryptionSpec",
        "x-kubernetes-validations": [
          {
            rule: "(self.keyType == 'CUSTOMER_MANAGED_KEY') == has(self.keyId)",
            message:
              "encryption.keyId is required with CUSTOMER_MANAGED_KEY and not allowed with AWS_OWNED_KEY",
          },
        ],
      },
    ),
    restore: obj(
      "How to restore application state when the operator starts the application.",
      {
        type: str(
          "LatestSnapshot (the service default), SkipRestore (start without state) or Snapshot (restore the named snapshot).",
          { enum: ["LatestSnapshot", "SkipRestore", "Snapshot"], default: "LatestSnapshot" },
        ),
        snapshotName: str("Snapshot to restore when type is Snapshot (shape SnapshotName).", {
          minLength: 1,
          maxLength: 256,
          pattern: awsNamePattern,
        }),
        redeployNonce: str(
          "Change this token to redeploy a running application from snapshotName, after taking a snapshot of its current state (as the Flink Kubernetes Operator's savepointRedeployNonce); `kubectl flinkapp restore` sets it.",
          { minLength: 1, maxLength: 64 },
        ),
      },
      {
        tsName: "RestoreSpec",
        "x-kubernetes-validations": [
          {
            rule: "(self.type == 'Snapshot') == has(self.snapshotName)",
            message: "restore.snapshotName is required when restore.type is Snapshot, and allowed only then",
          },
          {
            rule: "!has(self.redeployNonce) || self.type == 'Snapshot'",
            message:
              "restore.redeployNonce needs restore.type Snapshot and a restore.snapshotName to redeploy from",
          },
        ],
      },
    ),
    restartNonce: str(
      "Change this token to restart a running application snapshot-first with no configuration change (as the Flink Kubernetes Operator's restartNonce); `kubectl flinkapp restart` sets it.",
      { minLength: 1, maxLength: 64 },
    ),
    allowNonRestoredState: bool("Allow starting when snapshot state cannot be mapped to the new program.", {
      default: false,
    }),
    deletionPolicy: str(
      "What deleting this resource does in AWS: Retain (the default) leaves the application running and untouched; Delete stops and deletes it, with its snapshots.",
      { enum: ["Delete", "Retain"], default: "Retain" },
    ),
  },
  {
    required: ["runtimeEnvironment", "serviceExecutionRole", "code"],
    tsName: "FlinkApplicationSpec",
    "x-kubernetes-validations": [
      {
        rule: "!has(oldSelf.region) || (has(self.region) && self.region == oldSelf.region)",
        message: "spec.region is immutable",
        fieldPath: ".region",
      },
      {
        rule: `${runtimeRank("self.runtimeEnvironment")} >= ${runtimeRank("oldSelf.runtimeEnvironment")}`,
        message:
          "spec.runtimeEnvironment cannot be downgraded; Managed Flink upgrades runtimes in place only",
        fieldPath: ".runtimeEnvironment",
      },
      {
        rule: "!has(self.parallelism) || !has(self.parallelism.parallelism) || !has(self.parallelism.parallelismPerKPU) || self.parallelism.parallelismPerKPU <= self.parallelism.parallelism",
        message: "spec.parallelism.parallelismPerKPU must not exceed spec.parallelism.parallelism",
        fieldPath: ".parallelism.parallelismPerKPU",
      },
    ],
  },
);

const condition = obj(
  "A kstatus / metav1.Condition.",
  {
    type: str("Ready, Reconciling or Stalled.", { maxLength: 316 }),
    status: str("True, False or Unknown.", { enum: ["True", "False", "Unknown"] }),
    reason: str("CamelCase reason.", { maxLength: 1024 }),
    message: str("Human-readable detail.", { maxLength: 32768 }),
    lastTransitionTime: str("When status last changed.", { format: "date-time" }),
    observedGeneration: int("Generation this condition was computed for.", { minimum: 0 }),
  },
  { required: ["type", "status", "lastTransitionTime"], tsName: "Condition" },
);

const status = obj(
  "Observed state, written only by the operator.",
  {
    observedGeneration: int("The metadata.generation the status reflects.", { minimum: 0 }),
    conditions: listOf("Ready, Reconciling and Stalled, with kstatus semantics.", condition, {
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    }),
    applicationName: str("The AWS application name in use."),
    region: str("The AWS region in use."),
    applicationARN: str("ARN of the application."),
    applicationVersionId: int("ApplicationVersionId of the application as last observed.", { minimum: 0 }),
    applicationStatus: str("ApplicationStatus as last observed (READY, RUNNING, UPDATING, ...)."),
    tagsDigest: str(
      "sha256 of the tags last confirmed on the application (spec.tags and the owner tag). " +
        "DescribeApplication does not return tags; ListTagsForResource runs only while the spec's tags differ from these.",
    ),
    createTimestamp: str("CreateTimestamp of the application; DeleteApplication needs it.", {
      format: "date-time",
    }),
    configuredParallelism: int("Parallelism configured in AWS."),
    currentParallelism: int("Parallelism the application runs with now (autoscaling may raise it)."),
    codeLocation: obj(
      "The code object the application uses.",
      {
        bucket: str("bucket"),
        key: str("key"),
        objectVersion: str("objectVersion"),
      },
      { tsName: "CodeLocation" },
    ),
    artifact: obj(
      "The artifact last verified and uploaded, so an unchanged spec.code.artifact costs no S3 call.",
      {
        sha256: str("sha256 of the artifact."),
        bucket: str("bucket"),
        key: str("Content-addressed key."),
        objectVersion: str("Object version, in a versioned bucket."),
        source: str("Where it came from (URL without query string, or Maven coordinates)."),
      },
      { tsName: "ResolvedArtifact" },
    ),
    operation: obj(
      "The update in flight, recorded before anything is called so that a restarted controller resumes it instead of repeating it.",
      {
        type: str("What the operation does.", { enum: ["Update", "Rollback"] }),
        generation: int("The metadata.generation the operation applies."),
        phase: str(
          "Snapshotting, Updating, AwaitingRunning, Stabilizing (RUNNING on the new version; the job must stay healthy for spec.rollback.stabilizationSeconds) or RollingBack.",
          { enum: ["Snapshotting", "Updating", "AwaitingRunning", "Stabilizing", "RollingBack"] },
        ),
        runningSince: str("When the new version was first seen RUNNING (the start of stabilization).", {
          format: "date-time",
        }),
        snapshotName: str("The snapshot taken before the update, which the update restores from."),
        fromVersionId: int("ApplicationVersionId before the update."),
        operationId: str("OperationId of the UpdateApplication or RollbackApplication call."),
        startedAt: str("When the operation began.", { format: "date-time" }),
        updateStartedAt: str("When UpdateApplication was accepted.", { format: "date-time" }),
        fields: listOf("Spec fields the update changes.", str("field")),
        restartNonce: str("The spec.restartNonce this operation serves, recorded once it is RUNNING."),
        redeployNonce: str(
          "The spec.restore.redeployNonce this operation serves, recorded once it is RUNNING.",
        ),
        restoreFrom: str(
          "The snapshot the update restores instead of its own pre-update snapshot (spec.restore.redeployNonce).",
        ),
        propertiesHash: str("status.propertiesFrom.hash of the ConfigMap content this operation applies."),
      },
      { required: ["type", "generation", "phase", "startedAt"], tsName: "UpdateOperation" },
    ),
    snapshots: listOf(
      "Snapshots this operator made, newest first (bounded).",
      obj(
        "One snapshot.",
        {
          name: str("Snapshot name."),
          createdAt: str("SnapshotCreationTimestamp.", { format: "date-time" }),
          applicationVersionId: int("ApplicationVersionId the snapshot was taken from."),
          generation: int("metadata.generation that caused it."),
          reason: str("BeforeUpdate, OnDemand or Scheduled.", {
            enum: ["BeforeUpdate", "OnDemand", "Scheduled"],
          }),
        },
        { required: ["name"], tsName: "SnapshotRecord" },
      ),
      { maxItems: 64 },
    ),
    lastSnapshotRequest: str("The spec.snapshots.request token last served."),
    scheduledSnapshot: obj(
      "The last snapshot spec.snapshots.schedule asked for.",
      {
        name: str("Snapshot name (<applicationName>-scheduled-<UTC time>)."),
        requestedAt: str("When CreateApplicationSnapshot was called.", { format: "date-time" }),
        state: str("Creating, Ready or Failed.", { enum: ["Creating", "Ready", "Failed"] }),
      },
      { required: ["name", "requestedAt", "state"], tsName: "ScheduledSnapshot" },
    ),
    restartNonce: str("The spec.restartNonce last served."),
    restoreRedeployNonce: str("The spec.restore.redeployNonce last served."),
    propertiesFrom: obj(
      "The content of spec.environmentPropertiesFrom as last applied in AWS.",
      {
        hash: str("sha256 (first 16 hex digits) of the property groups read from ConfigMaps."),
        configMaps: listOf("The ConfigMaps read, as name@resourceVersion.", str("name@resourceVersion")),
      },
      { tsName: "PropertiesFromStatus" },
    ),
    lastUpdate: obj(
      "The last UpdateApplication the operator made. If the same drift remains on that version, it is reported, not updated again.",
      {
        generation: int("metadata.generation the update applied."),
        versionId: int("The application version the update produced."),
        propertiesHash: str(
          "The ConfigMap content hash it applied: an edit of the ConfigMap is new drift, not the same.",
        ),
      },
      { tsName: "AppliedUpdate" },
    ),
    lastFailedUpdate: obj(
      "The last update that failed. Its generation is not tried again; change the spec to try again.",
      {
        generation: int("metadata.generation of the failed update."),
        snapshotName: str("The pre-update snapshot."),
        fromVersionId: int("ApplicationVersionId before the update."),
        message: str("What failed, with AWS's operation failure details when there are any."),
        propertiesHash: str(
          "The ConfigMap content hash of the failed update: an edit of the ConfigMap tries again, as a spec change does.",
        ),
        rolledBack: str("None, Service (system rollback) or Operator (RestorePreviousVersion).", {
          enum: ["None", "Service", "Operator"],
        }),
        time: str("When the failure was seen.", { format: "date-time" }),
      },
      { tsName: "FailedUpdate" },
    ),
    job: obj(
      "The Flink job's health, judged from its CloudWatch metrics (namespace AWS/KinesisAnalytics) while the application is RUNNING and spec.health.checks is not Disabled. Rewritten when the verdict changes and otherwise every few minutes; live figures are on the operator's /metrics.",
      {
        verdict: str(
          "Healthy; Restarting (full restarts within the window above spec.health.maxRestarts); CheckpointsFailing; FallingBehind (millisBehindLatest above the threshold); NoData (no metrics to judge: never reported Healthy).",
          { enum: ["Healthy", "Restarting", "CheckpointsFailing", "FallingBehind", "NoData"] },
        ),
        message: str("The evidence for the verdict, with the newest ERROR log lines when unhealthy."),
        since: str("When the verdict last changed.", { format: "date-time" }),
        checkedAt: str("When the metrics were last read.", { format: "date-time" }),
        metrics: obj(
          "The newest datapoint of each application-level metric Managed Flink publishes.",
          Object.fromEntries(
            (
              [
                ["uptime", "Milliseconds the job has been running without interruption."],
                ["downtime", "Milliseconds of the current outage while the job is failing or restarting."],
                ["fullRestarts", "Full restarts since the job was submitted."],
                ["numberOfFailedCheckpoints", "Failed checkpoints since the job was submitted."],
                ["lastCheckpointDuration", "Milliseconds the last checkpoint took."],
                ["lastCheckpointSize", "Bytes of the last checkpoint."],
                ["numRecordsInPerSecond", "Records the sources read per second."],
                ["numRecordsOutPerSecond", "Records the sinks wrote per second."],
                ["currentInputWatermark", "The lowest input watermark, epoch milliseconds."],
                ["millisBehindLatest", "The Kinesis source's lag behind the stream's tip, milliseconds."],
                ["KPUs", "Kinesis Processing Units in use."],
              ] as const
            ).map(([name, description]) => [
              name,
              obj(
                description,
                {
                  value: num("The value."),
                  timestamp: str("The datapoint's time.", { format: "date-time" }),
                },
                { required: ["value", "timestamp"], tsName: "JobFigure" },
              ),
            ]),
          ),
          { tsName: "JobMetrics" },
        ),
      },
      { tsName: "JobStatus" },
    ),
    lastError: obj(
      "The last error, kept until a reconcile succeeds.",
      {
        operation: str("The AWS call or step that failed."),
        type: str("Error type, e.g. InvalidArgumentException."),
        message: str("Message from AWS or the operator."),
        time: str("When it happened.", { format: "date-time" }),
        generation: int("The metadata.generation being reconciled when it happened."),
        terminal: bool("True when retrying cannot help: nothing more is tried until the spec changes."),
      },
      { tsName: "LastError" },
    ),
  },
  { tsName: "FlinkApplicationStatus" },
);

export const openApiSchema: Schema = obj(
  "A FlinkApplication is an application on AWS Managed Service for Apache Flink, kept as declared.",
  {
    apiVersion: str("APIVersion"),
    kind: str("Kind"),
    // Declaring metadata.name (the one metadata field a CRD schema may constrain, with generateName) lets
    // the rules below point their errors at it (fieldPath) instead of at the object.
    metadata: { type: "object", properties: { name: { type: "string" } } },
    spec,
    status,
  },
  {
    required: ["spec"],
    "x-kubernetes-validations": [
      {
        // On create only: metadata.name cannot change, and an object created before this rule, in a
        // namespace short enough for its owner tag, must still take status and spec updates.
        rule: `oldSelf.hasValue() || size(self.metadata.name) <= ${maxMetadataNameLength}`,
        optionalOldSelf: true,
        message: `metadata.name must be at most ${maxMetadataNameLength} characters: the operator tags the AWS application ${ownerTagKey}=<namespace>/<name>, AWS allows 256 characters in a tag value, and the namespace may have 63`,
        fieldPath: ".metadata.name",
      },
      {
        rule: `has(self.spec.applicationName) || size(self.metadata.name) <= ${maxApplicationNameLength}`,
        message: `metadata.name is longer than the ${maxApplicationNameLength} characters AWS allows in an application name; set spec.applicationName (1-${maxApplicationNameLength} characters of [a-zA-Z0-9_.-])`,
        fieldPath: ".metadata.name",
      },
      {
        rule: "has(self.spec.applicationName) || self.metadata.name.matches('^[a-zA-Z0-9_.-]+$')",
        message:
          "metadata.name is not a valid AWS application name; set spec.applicationName (characters [a-zA-Z0-9_.-])",
        fieldPath: ".metadata.name",
      },
      {
        rule: "(has(oldSelf.spec.applicationName) ? oldSelf.spec.applicationName : oldSelf.metadata.name) == (has(self.spec.applicationName) ? self.spec.applicationName : self.metadata.name)",
        message: "spec.applicationName is immutable",
        fieldPath: ".spec.applicationName",
      },
    ],
  },
);

/** Printer columns for `kubectl get flinkapp`. */
export const printerColumns = [
  {
    name: "Status",
    type: "string",
    jsonPath: ".status.applicationStatus",
    description: "AWS application status",
  },
  { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: "Job", type: "string", jsonPath: ".status.job.verdict", description: "The Flink job's health" },
  { name: "Parallelism", type: "integer", jsonPath: ".status.currentParallelism" },
  { name: "Version", type: "integer", jsonPath: ".status.applicationVersionId" },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  // Priority 1: shown by `kubectl get -o wide`, so the default view still fits a terminal.
  {
    name: "Message",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Ready")].message',
    priority: 1,
  },
];

export function customResourceDefinition(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames, categories: ["flink"] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toOpenApi(openApiSchema) },
          subresources: {
            status: {},
            // `kubectl scale flinkapp/x --replicas=8` sets spec.parallelism.parallelism.
            scale: {
              specReplicasPath: ".spec.parallelism.parallelism",
              statusReplicasPath: ".status.currentParallelism",
            },
          },
          additionalPrinterColumns: printerColumns,
        },
      ],
    },
  };
}
