package dev.managedflink.localflink;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * One application's Flink cluster in one JVM: a MiniCluster (JobManager, one TaskManager) with the
 * REST endpoint that a session cluster serves, including the /jars handlers of flink-runtime-web.
 *
 * <p>Why not a JobManager and a TaskManager process: measured 3.4-4.3 s to start against 11-17 s, and
 * about half the memory (docs/adr/0008-real-flink-runtime.md). The REST API is the same, so the
 * emulator's client does not know which variant runs.
 *
 * <p>Usage: {@code LocalFlinkCluster CONF_DIR}; CONF_DIR holds the config.yaml the emulator writes. The
 * process runs until it receives SIGTERM; the shutdown hook closes the cluster (cancelling jobs).
 *
 * <p>Commands arrive on stdin, one per line (the emulator's admin API drives them):
 * {@value #FAIL_TASK_MANAGER} terminates the TaskManager and starts a fresh one, so the running job fails
 * as on the loss of a worker and Flink's restart strategy restarts it (its fullRestarts metric grows).
 */
public final class LocalFlinkCluster {

    /**
     * Starts and closes a cluster on a random loopback port, nothing else: the build runs this under
     * -XX:ArchiveClassesAtExit so that later starts map the classes it loaded from one archive.
     */
    static final String WARM_UP = "--warm-up";

    static final String FAIL_TASK_MANAGER = "fail-task-manager";

    private LocalFlinkCluster() {}

    /**
     * Reads commands until stdin ends. MiniCluster keeps a terminated TaskManager's index occupied and
     * gives each new one the next index ("The index is not reused", MiniCluster#terminateTaskManager),
     * so the live TaskManager is always the newest.
     */
    private static void readCommands(MiniCluster cluster) {
        int live = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!FAIL_TASK_MANAGER.equals(line.trim())) {
                    System.err.println("LocalFlinkCluster: unknown command " + line);
                    continue;
                }
                try {
                    cluster.terminateTaskManager(live).get();
                    cluster.startTaskManager();
                    live++;
                    System.out.println("LocalFlinkCluster: TaskManager " + (live - 1) + " terminated, " + live + " started");
                } catch (Exception e) {
                    System.err.println("LocalFlinkCluster: " + FAIL_TASK_MANAGER + " failed: " + e);
                }
            }
        } catch (java.io.IOException e) {
            System.err.println("LocalFlinkCluster: reading commands failed: " + e);
        }
    }

    private static void warmUp() throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_PORT, "0");
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(1)
                .build())) {
            cluster.start();
            System.out.println("LocalFlinkCluster warm-up: REST " + cluster.getRestAddress().get());
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && WARM_UP.equals(args[0])) {
            warmUp();
            return;
        }
        if (args.length != 1) {
            System.err.println("usage: LocalFlinkCluster CONF_DIR | " + WARM_UP);
            System.exit(2);
        }
        Configuration conf = GlobalConfiguration.loadConfiguration(Path.of(args[0]).toString());
        int slots = conf.get(TaskManagerOptions.NUM_TASK_SLOTS);
        MiniClusterConfiguration clusterConf = new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build();
        MiniCluster cluster = new MiniCluster(clusterConf);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "local-flink-cluster-shutdown"));
        cluster.start();
        // The emulator waits for the REST endpoint itself; this line is for a human reading the log.
        System.out.println("LocalFlinkCluster ready: REST " + cluster.getRestAddress().get() + ", " + slots + " slots");
        Thread commands = new Thread(() -> readCommands(cluster), "local-flink-cluster-commands");
        commands.setDaemon(true);
        commands.start();
        // Runs until the shutdown hook (SIGTERM from the emulator or its orphan guard) has closed it.
        closed.await();
    }
}
