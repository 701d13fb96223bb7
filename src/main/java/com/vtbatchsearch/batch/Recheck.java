package com.vtbatchsearch.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A batch's re-checks as a report shows them: the watch schedule, when the last re-check started and was
 * done, and what it found (how many items changed, by kind). Getter-style for JSP EL and JSON.
 */
@JsonPropertyOrder({"watch", "startedAt", "doneAt", "running", "changed", "changes"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class Recheck {
    /** How often a watched batch is re-checked. */
    public enum Watch {
        DAILY(Duration.ofDays(1)), WEEKLY(Duration.ofDays(7));

        private final Duration every;

        Watch(Duration every) {
            this.every = every;
        }

        public Duration every() {
            return every;
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** daily or weekly; "off" or empty is no watch (an empty Optional); anything else is refused. */
        public static Optional<Watch> parse(String value) {
            if (value == null || value.isEmpty() || value.equals("off")) {
                return Optional.empty();
            }
            for (Watch w : values()) {
                if (w.key().equals(value)) {
                    return Optional.of(w);
                }
            }
            throw new IllegalArgumentException("watch must be daily, weekly or off");
        }
    }

    private final Watch watch;
    private final Instant startedAt;
    private final Instant doneAt;
    private final int changed;
    private final Map<String, Integer> changes;

    public Recheck(Watch watch, Instant startedAt, Instant doneAt, int changed, Map<String, Integer> changes) {
        this.watch = watch;
        this.startedAt = startedAt;
        this.doneAt = doneAt;
        this.changed = changed;
        this.changes = changes;
    }

    /** daily, weekly or null. */
    public String getWatch() {
        return watch == null ? null : watch.key();
    }

    /** When the last re-check started, ISO-8601 UTC; null when the batch was never re-checked. */
    public String getStartedAt() {
        return startedAt == null ? null : startedAt.toString();
    }

    /** When the last re-check was done; null while it runs or when there was none. */
    public String getDoneAt() {
        return doneAt == null ? null : doneAt.toString();
    }

    public boolean isRunning() {
        return startedAt != null && doneAt == null;
    }

    /** Items whose answer the last re-check changed; 0 while it runs. */
    public int getChanged() {
        return changed;
    }

    /** Changed items per kind of change (see {@link ChangeKind}); an item may count under several. */
    public Map<String, Integer> getChanges() {
        return changes;
    }
}
