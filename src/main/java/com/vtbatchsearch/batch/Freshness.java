package com.vtbatchsearch.batch;

import java.time.Duration;
import java.time.Instant;

/**
 * How long a cached answer stays good: a found file's verdicts for {@code resultTtl}
 * (CACHE_TTL_DAYS), a "not on VirusTotal" for {@code notFoundTtl} (NOT_FOUND_TTL_HOURS). An older
 * answer is still shown, marked stale, and looked up again when a new batch contains it.
 */
public record Freshness(Duration resultTtl, Duration notFoundTtl) {

    /** Answers for found files fetched before this instant are stale. */
    public Instant resultCutoff(Instant now) {
        return now.minus(resultTtl);
    }

    /** "Not on VirusTotal" answers given before this instant are stale. */
    public Instant notFoundCutoff(Instant now) {
        return now.minus(notFoundTtl);
    }
}
