package com.vtbatchsearch.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process queue of a single instance: the rotation of batches with work, one place each, and
 * each batch's cursor. Nothing survives a restart, which is why it starts out asking to be refilled
 * from the database; nothing is kept for turns in progress, since a crash empties the queue anyway.
 */
public final class EmbeddedLookupQueue implements LookupQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<String> rotation = new ArrayDeque<>();
    private final Set<String> queued = new HashSet<>();
    private final Map<String, Integer> cursors = new HashMap<>();
    private final Map<String, Claim> claims = new HashMap<>();
    private boolean filled;

    private record Claim(String owner, Instant expires) {
    }

    @Override
    public void enqueue(String batchId) {
        lock.lock();
        try {
            cursors.remove(batchId);
            place(batchId);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int reconcile(List<String> batchIds) {
        lock.lock();
        try {
            int added = 0;
            for (String batchId : batchIds) {
                added += place(batchId) ? 1 : 0;
            }
            return added;
        } finally {
            lock.unlock();
        }
    }

    /** Puts the batch at the tail unless it has a place; true when it had none. Under the lock. */
    private boolean place(String batchId) {
        if (!queued.add(batchId)) {
            return false;
        }
        rotation.addLast(batchId);
        notEmpty.signalAll();
        return true;
    }

    @Override
    public Optional<Turn> take(Duration timeout) throws InterruptedException {
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
            queued.remove(batchId);
            return Optional.of(new Turn(batchId, cursors.getOrDefault(batchId, -1)));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public QueuedLookup start(Turn turn, String hash, int position) {
        lock.lock();
        try {
            cursors.put(turn.batchId(), position);
            place(turn.batchId());
            return new QueuedLookup(turn.batchId(), hash, position);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void pass(Turn turn, boolean stillOpen) {
        lock.lock();
        try {
            cursors.remove(turn.batchId());
            if (stillOpen) {
                place(turn.batchId());
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void ack(QueuedLookup entry) {
        // nothing is kept for entries in progress
    }

    @Override
    public void requeue(QueuedLookup entry, boolean atHead) {
        lock.lock();
        try {
            if (atHead) {
                cursors.computeIfPresent(entry.batchId(), (id, cursor) -> Math.min(cursor, entry.position() - 1));
            }
            place(entry.batchId());
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
            return rotation.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isQueued(String batchId) {
        lock.lock();
        try {
            return queued.contains(batchId);
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
            queued.clear();
            cursors.clear();
        } finally {
            lock.unlock();
        }
    }
}
