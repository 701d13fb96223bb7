package com.vtbatchsearch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * A real Redis server for one test class, on a free loopback port: the redis-server binary shipped in
 * the embedded-redis test dependency, so it runs on any Linux machine without an install. Never the
 * machine's shared Redis.
 */
public final class RedisProcess implements AutoCloseable {
    private final int port;
    private RedisServer server;

    private RedisProcess(int port) {
        this.port = port;
    }

    public static RedisProcess start() {
        try {
            RedisProcess redis = new RedisProcess(freePort());
            redis.startServer();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server", e);
        }
    }

    private void startServer() throws IOException {
        server = RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
        server.start();
    }

    /**
     * Kills the server, as an outage would; everything in it is lost, as with a Redis that keeps
     * nothing on disk. {@link #restart} brings it back, empty, on the same port.
     */
    public void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts an empty server again on the same port. */
    public void restart() {
        try {
            startServer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart redis-server", e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        try {
            if (server.isActive()) {
                server.stop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
