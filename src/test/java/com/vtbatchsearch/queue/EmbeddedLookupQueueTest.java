package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedLookupQueueTest extends LookupQueueContract {
    private final EmbeddedLookupQueue queue = new EmbeddedLookupQueue();

    @Override
    LookupQueue queue() {
        return queue;
    }

    @AfterEach
    void close() {
        queue.close();
    }

    @Test
    void nothingIsKeptForTurnsInProgress() throws InterruptedException {
        queue.enqueue(X);

        queue.take(Duration.ofMillis(100)).orElseThrow();

        assertEquals(0, queue.size());
        assertEquals(0, queue.recoverAbandoned(), "one process: nothing to recover");
    }

    @Test
    void closeEmptiesTheQueue() throws InterruptedException {
        queue.enqueue(X);

        queue.close();

        assertEquals(0, queue.size());
        assertEquals(Optional.empty(), queue.take(Duration.ZERO));
    }

    @Test
    void describeSaysEmbedded() {
        assertTrue(queue.describe().contains("embedded"), queue.describe());
    }
}
