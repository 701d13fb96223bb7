package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class BatchServiceTest {
    private static BatchCounts pending(int pending) {
        return new BatchCounts(pending + 10, pending + 10, 10, pending, 0, 0, 0, 0, 10);
    }

    @Test
    void etaIsPendingHashesAtTheConfiguredRate() {
        BatchService service = new BatchService(null, new EmbeddedLookupQueue(), Clock.systemUTC(), 4);
        assertEquals(7_200L, service.etaSeconds(pending(480)), "480 hashes at 4 a minute: two hours");
        assertEquals(15L, service.etaSeconds(pending(1)));
        assertNull(service.etaSeconds(pending(0)), "nothing pending, nothing to wait for");
        assertEquals(1L, new BatchService(null, new EmbeddedLookupQueue(), Clock.systemUTC(), 1000)
                .etaSeconds(pending(1)), "rounded up to whole seconds");
    }
}
