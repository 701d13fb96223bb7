package com.vtbatchsearch.testing;

import com.vtbatchsearch.queue.RedisLookupQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;

/**
 * A real Redis cluster of three masters on free loopback ports for one test class, registered as a
 * static {@code @RegisterExtension} field: Debian's {@code redis-server} (7.x, {@code apt-get install
 * redis-server}) started three times with {@code cluster-enabled yes}, the 16,384 slots split among
 * them and the nodes introduced to each other by hand (CLUSTER ADDSLOTS, CLUSTER MEET), so no
 * {@code redis-cli} is needed. Nothing is written to disk but the nodes' cluster files, in a temporary
 * directory removed afterwards. Never the machine's shared Redis.
 */
public final class RedisCluster implements BeforeAllCallback, AfterAllCallback {
    public static final String SERVER = "/usr/bin/redis-server";
    private static final int SLOTS = 16_384;
    private static final int MASTERS = 3;

    private final List<Process> nodes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private Path dir;
    private UnifiedJedis client;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("redis-cluster");
        for (int i = 0; i < MASTERS; i++) {
            int port = freePort();
            ports.add(port);
            nodes.add(new ProcessBuilder(SERVER, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
                    .start());
        }
        for (int i = 0; i < MASTERS; i++) {
            try (Jedis node = awaitNode(ports.get(i))) {
                int from = SLOTS * i / MASTERS;
                int to = SLOTS * (i + 1) / MASTERS;
                node.clusterAddSlots(IntStream.range(from, to).toArray());
                if (i > 0) {
                    node.clusterMeet("127.0.0.1", ports.get(0));
                }
            }
        }
        awaitClusterOk();
        client = RedisLookupQueue.connect(URI.create(url()));
    }

    private static Jedis awaitNode(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Jedis node = new Jedis("127.0.0.1", port);
            try {
                node.ping();
                return node;
            } catch (RuntimeException e) {
                node.close();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server on " + port + " did not start", e);
                }
                Thread.sleep(50);
            }
        }
    }

    private void awaitClusterOk() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (int port : ports) {
            try (Jedis node = new Jedis("127.0.0.1", port)) {
                while (true) {
                    String info = node.clusterInfo();
                    if (info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + MASTERS)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the cluster did not form: " + info);
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException, InterruptedException {
        if (client != null) {
            client.close();
        }
        for (Process node : nodes) {
            node.destroy();
        }
        for (Process node : nodes) {
            node.waitFor();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The address of one node, as {@code REDIS_URL} would give it. */
    public String url() {
        return "redis://127.0.0.1:" + ports.get(0);
    }

    /** A cluster client, as the app makes from {@link #url()}. */
    public UnifiedJedis client() {
        return client;
    }

    /** A free port whose cluster bus port (10,000 above it) is free too. */
    private static int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                int port = socket.getLocalPort();
                if (port + 10_000 <= 65_535) {
                    try (ServerSocket bus = new ServerSocket(port + 10_000)) {
                        return port;
                    } catch (IOException busTaken) {
                        // try another
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
