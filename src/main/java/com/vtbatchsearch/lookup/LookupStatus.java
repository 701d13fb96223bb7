package com.vtbatchsearch.lookup;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * What every page needs to say about lookups as a whole: whether there is an API key, whether
 * VirusTotal rejected it, and whether lookups are paused, until when and why (the pause itself lives
 * in the rate limiter, shared by every instance). Written by the workers, read by pages and the API
 * (getter-style for JSP EL). Also remembers the run of 429 quota errors that tells a spent daily
 * quota from a spent minute.
 */
public final class LookupStatus {
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE_HH_MM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .withZone(ZoneOffset.UTC);

    private final boolean keyConfigured;
    private final RateLimiter limiter;
    private volatile String keyRejection;
    private volatile String lastFailure;
    private int quotaStreak;
    private Instant quotaPauseUntil = Instant.EPOCH;
    private boolean stepCountedSincePause;

    /** @param limiter null when no API key is configured */
    public LookupStatus(boolean keyConfigured, RateLimiter limiter) {
        this.keyConfigured = keyConfigured;
        this.limiter = limiter;
    }

    public boolean isKeyMissing() {
        return !keyConfigured;
    }

    public boolean isKeyRejected() {
        return keyRejection != null;
    }

    void keyRejected(String reason) {
        this.keyRejection = reason;
    }

    /** Why the last request failed (a proxy that refused, a timeout), until the next answer; or null. */
    public String getLastFailure() {
        return lastFailure;
    }

    void failed(String reason) {
        this.lastFailure = reason;
    }

    /** The key's budget now, or null without a key. */
    public QuotaMeter getQuotaMeter() {
        if (limiter == null) {
            return null;
        }
        try {
            return limiter.meter();
        } catch (RuntimeException e) {
            return null; // the shared limiter is unreachable: health says so
        }
    }

    /** A request was answered (found or not found): the key works and the quota is not spent. */
    synchronized void answered() {
        keyRejection = null;
        lastFailure = null;
        quotaStreak = 0;
    }

    /**
     * Counts a 429 quota error as one step of the streak if its request was sent after the last quota
     * pause ended (errors of requests already in flight when that pause began say nothing new), and
     * only the first such error after that pause: workers waking together at its end draw their 429s
     * together, and those say once, not several times, that the quota is still spent.
     *
     * @return true when it counted
     */
    synchronized boolean quotaErrorAfterPause(String code, Instant sent) {
        if (!"QuotaExceededError".equals(code) || sent.isBefore(quotaPauseUntil) || stepCountedSincePause) {
            return false;
        }
        quotaStreak++;
        stepCountedSincePause = true;
        return true;
    }

    synchronized int quotaStreak() {
        return quotaStreak;
    }

    synchronized void quotaPauseSet(Instant until) {
        quotaPauseUntil = until;
        stepCountedSincePause = false;
    }

    /** The pause in force, if any. */
    public Optional<RateLimiter.Pause> pause() {
        if (limiter == null) {
            return Optional.empty();
        }
        try {
            return limiter.pause();
        } catch (RuntimeException e) {
            return Optional.empty(); // the shared limiter is unreachable: health says so
        }
    }

    /** The instant lookups may resume, or null when they are not paused. */
    public Instant pausedUntil() {
        return pause().map(RateLimiter.Pause::until).orElse(null);
    }

    public boolean isPaused() {
        return pause().isPresent();
    }

    /** "HH:MM UTC" of the end of the pause, or null. */
    public String getPausedUntilText() {
        return pause().map(p -> when(p.until())).orElse(null);
    }

    /** One sentence for the top of every page, or null when lookups run normally. */
    public String getNotice() {
        if (!keyConfigured) {
            return "No VirusTotal API key is configured (VT_API_KEY): uploads are stored and lookups wait for a key.";
        }
        Optional<RateLimiter.Pause> pause = pause();
        String rejection = keyRejection;
        if (rejection != null) {
            return "VirusTotal rejected the API key (" + rejection + "): lookups are paused"
                    + pause.map(p -> " until " + when(p.until())).orElse("")
                    + ", then the key is tried again. Check VT_API_KEY.";
        }
        return pause.map(p -> "Lookups paused until " + when(p.until()) + ": " + p.reason() + ".")
                .orElse(null);
    }

    /** "HH:MM UTC" within a day, else with the date (a month's quota ends on the first of the next). */
    private static String when(Instant until) {
        boolean withinADay = until.isBefore(Instant.now().plus(java.time.Duration.ofHours(24)).plusSeconds(1));
        return (withinADay ? HH_MM : DATE_HH_MM).format(until) + " UTC";
    }

    /** A one-word state for health checks: missing_key, key_rejected, paused or running. */
    public String getState() {
        if (!keyConfigured) {
            return "missing_key";
        }
        if (keyRejection != null) {
            return "key_rejected";
        }
        return isPaused() ? "paused" : "running";
    }
}
