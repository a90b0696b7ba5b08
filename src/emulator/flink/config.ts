import { stringify } from "yaml";

/**
 * What one application's cluster is configured with: pure functions from options to the files and
 * arguments a LocalFlinkCluster JVM starts from (docs/adr/0011-real-flink-runtime.md).
 */
export interface ClusterSettings {
  restPort: number;
  /** Task slots of the one TaskManager: the highest parallelism this cluster can run. */
  slots: number;
  checkpointsDir: string;
  savepointsDir: string;
  uploadsDir: string;
  logFile: string;
  /** Managed Flink's CheckpointConfiguration defaults: interval 60 s, minimum pause 5 s. */
  checkpointIntervalMs: number;
  minPauseBetweenCheckpointsMs: number;
  /** JVM heap; the measured working size is 768 MiB (shared notes, "Cluster variants"). */
  heapMb: number;
  /** PyFlink's Python, when installed: PyFlink programs and Python UDF workers run on it. */
  pythonExecutable?: string;
}

export const DEFAULT_SLOTS = 4;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
export const DEFAULT_MIN_PAUSE_MS = 5_000;
export const DEFAULT_HEAP_MB = 768;

/** Keys of Flink 1.20's configuration reference (nightlies.apache.org/flink/flink-docs-release-1.20/docs/deployment/config/). */
export function flinkConfiguration(s: ClusterSettings): Record<string, string> {
  return {
    "rest.address": "127.0.0.1",
    "rest.bind-address": "127.0.0.1",
    "rest.port": String(s.restPort),
    "web.upload.dir": s.uploadsDir,
    // The web UI's "Job Manager > Logs" page; the emulator tails the same file.
    "web.log.path": s.logFile,
    "taskmanager.numberOfTaskSlots": String(s.slots),
    // Small fixed pools: the MiniCluster shares one heap, and a laptop runs several applications.
    "taskmanager.memory.managed.size": "128m",
    "taskmanager.memory.network.min": "64m",
    "taskmanager.memory.network.max": "64m",
    // Managed Flink runs RocksDB; savepoints are in the canonical format, so any backend restores them.
    "state.backend.type": "rocksdb",
    "execution.checkpointing.dir": `file://${s.checkpointsDir}`,
    "execution.checkpointing.savepoint-dir": `file://${s.savepointsDir}`,
    "execution.checkpointing.interval": `${s.checkpointIntervalMs} ms`,
    "execution.checkpointing.min-pause": `${s.minPauseBetweenCheckpointsMs} ms`,
    // A failing job restarts for ever, 1 s apart (Flink's fixed-delay defaults but for the bounded
    // attempts), so a crash loop stays a RUNNING application whose fullRestarts grow, as on Managed Flink
    // ("constantly restarting, even though the application is in RUNNING state", developer guide, "Roll
    // back application upgrades"). Flink 1.20's own default with checkpointing is exponential-delay, whose
    // backoff grows to a minute and would thin a crash loop's restarts out; Managed Flink lists the restart
    // strategy among its modifiable properties without documenting its value (*choice*, docs/emulator.md).
    "restart-strategy.type": "fixed-delay",
    "restart-strategy.fixed-delay.attempts": "2147483647",
    "restart-strategy.fixed-delay.delay": "1 s",
    // Managed Flink keeps checkpoints of a stopped job only as snapshots (savepoints).
    "execution.checkpointing.externalized-checkpoint-retention": "DELETE_ON_CANCELLATION",
    // The REST metrics are fetched from the TaskManager at this interval (default 10 s), which is the
    // staleness of every metric we publish.
    "metrics.fetcher.update-interval": "2000",
    // The shim on the cluster classpath, not the copy a user jar shades, must answer, so that
    // runtime properties come from this cluster's working directory (tools/flink/pom.xml).
    "classloader.parent-first-patterns.additional": "com.amazonaws.services.kinesisanalytics.runtime.",
    // PythonDriver starts the program with python.client.executable, Python UDF workers with
    // python.executable (both default to `python` on the PATH, which has no PyFlink).
    ...(s.pythonExecutable
      ? { "python.client.executable": s.pythonExecutable, "python.executable": s.pythonExecutable }
      : {}),
  };
}

export function configYaml(s: ClusterSettings): string {
  return stringify(flinkConfiguration(s));
}

export const LOG4J_PROPERTIES = `# Written by the emulator: one console log per application cluster, captured in flink.log.
# The log shipper reads this pattern back (log-stream.ts Log4jRecords): change both together.
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = Console
appender.console.name = Console
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c [%t] %x - %m%n
# As Flink's own log4j-console.properties: quiet the chatty libraries.
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.netty.name = org.apache.flink.shaded.netty4.io.netty.channel.DefaultChannelPipeline
logger.netty.level = ERROR
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
`;

export interface JvmSettings {
  heapMb: number;
  classpath: string;
  /** tools/flink/jvm.options as installed: Flink's Java 17 flags and ours, shared with the build. */
  optionsFile: string;
  /** The class-data archive the build made by starting a cluster once; absent if that failed. */
  classArchive?: string;
  mainClass: string;
  confDir: string;
  log4jFile: string;
}

export function jvmArguments(s: JvmSettings): string[] {
  return [
    `-Xmx${s.heapMb}m`,
    `-Xms${Math.min(256, s.heapMb)}m`,
    `@${s.optionsFile}`,
    // Loads Flink's ~10k classes from a memory-mapped archive instead of 50 jars: with
    // -XX:TieredStopAtLevel=1 (in the options file) a cluster starts in 2-3 s instead of 8-10 s on
    // our loaded 2-core machines. A stale archive is ignored by the JVM (-Xshare:auto), never fatal.
    ...(s.classArchive ? [`-XX:SharedArchiveFile=${s.classArchive}`] : []),
    `-Dlog4j.configurationFile=${s.log4jFile}`,
    "-cp",
    s.classpath,
    s.mainClass,
    s.confDir,
  ];
}

/** One runtime property group, as Managed Flink's API and the application_properties.json file spell it. */
export interface PropertyGroup {
  PropertyGroupId: string;
  PropertyMap: Record<string, string>;
}

/**
 * The file Managed Flink writes to /etc/flink/application_properties.json and KinesisAnalyticsRuntime
 * reads: a JSON array of the application's property groups, as in EnvironmentProperties.
 */
export function applicationPropertiesJson(groups: readonly PropertyGroup[]): string {
  return `${JSON.stringify(
    groups.map((g) => ({ PropertyGroupId: g.PropertyGroupId, PropertyMap: g.PropertyMap })),
    null,
    2,
  )}\n`;
}
