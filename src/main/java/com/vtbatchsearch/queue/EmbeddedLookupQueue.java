package com.vtbatchsearch.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process queue of a single instance: per-batch lines served in turns. Nothing survives a
 * restart, which is why it starts out asking to be refilled from the database.
 */
public final class EmbeddedLookupQueue implements LookupQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<String> rotation = new ArrayDeque<>();
    private final Map<String, ArrayDeque<String>> lines = new HashMap<>();
    private final Map<String, Claim> claims = new HashMap<>();
    private boolean filled;

    private record Claim(String owner, Instant expires) {
    }

    @Override
    public void enqueue(String batchId, List<String> hashes) {
        if (hashes.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            line(batchId).addAll(hashes);
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private ArrayDeque<String> line(String batchId) {
        ArrayDeque<String> line = lines.get(batchId);
        if (line == null) {
            line = new ArrayDeque<>();
            lines.put(batchId, line);
            rotation.addLast(batchId);
        }
        return line;
    }

    @Override
    public Optional<QueuedLookup> take(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            while (rotation.isEmpty()) {
                if (nanos <= 0) {
                    return Optional.empty();
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            String batchId = rotation.pollFirst();
            ArrayDeque<String> line = lines.get(batchId);
            String hash = line.pollFirst();
            if (line.isEmpty()) {
                lines.remove(batchId);
            } else {
                rotation.addLast(batchId);
            }
            return Optional.of(new QueuedLookup(batchId, hash));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void ack(QueuedLookup entry) {
        // nothing is kept for entries in progress: a crash empties this queue anyway
    }

    @Override
    public void requeue(QueuedLookup entry, boolean atHead) {
        lock.lock();
        try {
            ArrayDeque<String> line = line(entry.batchId());
            if (atHead) {
                line.addFirst(entry.hash());
            } else {
                line.addLast(entry.hash());
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean tryClaim(String hash, String owner, Duration ttl) {
        lock.lock();
        try {
            Instant now = Instant.now();
            Claim current = claims.get(hash);
            if (current != null && !current.owner().equals(owner) && current.expires().isAfter(now)) {
                return false;
            }
            claims.put(hash, new Claim(owner, now.plus(ttl)));
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(String hash, String owner) {
        lock.lock();
        try {
            Claim current = claims.get(hash);
            if (current != null && current.owner().equals(owner)) {
                claims.remove(hash);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void heartbeat() {
        // one process: nobody else to tell
    }

    @Override
    public int recoverAbandoned() {
        return 0;
    }

    @Override
    public boolean needsRefill() {
        lock.lock();
        try {
            return !filled;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void markFilled() {
        lock.lock();
        try {
            filled = true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long size() {
        lock.lock();
        try {
            return lines.values().stream().mapToLong(ArrayDeque::size).sum();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, Long> lengths() {
        lock.lock();
        try {
            Map<String, Long> lengths = new LinkedHashMap<>();
            rotation.forEach(id -> lengths.put(id, (long) lines.get(id).size()));
            return lengths;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String describe() {
        return "embedded";
    }

    @Override
    public void close() {
        lock.lock();
        try {
            rotation.clear();
            lines.clear();
        } finally {
            lock.unlock();
        }
    }
}
