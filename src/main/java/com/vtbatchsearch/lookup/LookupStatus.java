package com.vtbatchsearch.lookup;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What every page needs to say about lookups as a whole: whether there is an API key, whether
 * VirusTotal rejected it, and whether lookups are paused and until when. Written by the worker, read
 * by pages and the API (getter-style for JSP EL).
 */
public final class LookupStatus {
    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    private final boolean keyConfigured;
    private final Clock clock;
    private volatile String keyRejection;
    private volatile Instant pausedUntil;
    private volatile String pauseReason;

    public LookupStatus(boolean keyConfigured, Clock clock) {
        this.keyConfigured = keyConfigured;
        this.clock = clock;
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

    void keyAccepted() {
        this.keyRejection = null;
    }

    void pause(Instant until, String reason) {
        this.pauseReason = reason;
        this.pausedUntil = until;
    }

    /** The instant lookups may resume, or null when they are not paused. */
    public Instant pausedUntil() {
        Instant until = pausedUntil;
        return until != null && until.isAfter(clock.instant()) ? until : null;
    }

    public boolean isPaused() {
        return pausedUntil() != null;
    }

    /** One sentence for the top of every page, or null when lookups run normally. */
    public String getNotice() {
        if (!keyConfigured) {
            return "No VirusTotal API key is configured (VT_API_KEY): uploads are stored and lookups wait for a key.";
        }
        String rejection = keyRejection;
        if (rejection != null) {
            return "VirusTotal rejected the API key (" + rejection + "): lookups are paused and the key is tried "
                    + "again every few minutes. Check VT_API_KEY.";
        }
        Instant until = pausedUntil();
        if (until != null) {
            return "Lookups paused until " + HH_MM.format(until) + " UTC: " + pauseReason + ".";
        }
        return null;
    }

    /** A one-word state for health checks: missing_key, key_rejected, paused or running. */
    public String getState() {
        if (!keyConfigured) {
            return "missing_key";
        }
        if (keyRejection != null) {
            return "key_rejected";
        }
        return pausedUntil() != null ? "paused" : "running";
    }
}
