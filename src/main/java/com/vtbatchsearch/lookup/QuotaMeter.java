package com.vtbatchsearch.lookup;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the key's budget looks like now, for pages and {@code /health}: this minute's and today's
 * lookups against their limits, and, when VirusTotal's own counts are known, the hour's and the month's,
 * the lookups other tools made with the key today and whether it looks like a public or a premium key.
 * A figure that is not known is null and not shown. Getter-style for JSP EL.
 */
public final class QuotaMeter {

    /** Used against a limit; the limit is null when there is none. */
    public record Period(long used, Long limit) {
        public long getUsed() {
            return used;
        }

        public Long getLimit() {
            return limit;
        }

        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("used", used);
            if (limit != null) {
                map.put("limit", limit);
            }
            return map;
        }
    }

    private final boolean fromVirusTotal;
    private final Period minute;
    private final Period hour;
    private final Period today;
    private final Period month;
    private final Long byOtherToolsToday;
    private final String keyKind;
    private final Instant readAt;

    public QuotaMeter(boolean fromVirusTotal, Period minute, Period hour, Period today, Period month,
            Long byOtherToolsToday, String keyKind, Instant readAt) {
        this.fromVirusTotal = fromVirusTotal;
        this.minute = minute;
        this.hour = hour;
        this.today = today;
        this.month = month;
        this.byOtherToolsToday = byOtherToolsToday;
        this.keyKind = keyKind;
        this.readAt = readAt;
    }

    /** Only the settings and our own counts are known. */
    public static QuotaMeter fromSettings(RateLimiter limiter) {
        return new QuotaMeter(false, new Period(limiter.usedThisMinute(), (long) limiter.perMinute()), null,
                new Period(limiter.usedToday(), (long) limiter.perDay()), null, null, null, null);
    }

    /** "virustotal" when VirusTotal's own counts are in use, else "settings". */
    public String getSource() {
        return fromVirusTotal ? "virustotal" : "settings";
    }

    public Period getMinute() {
        return minute;
    }

    public Period getHour() {
        return hour;
    }

    public Period getToday() {
        return today;
    }

    public Period getMonth() {
        return month;
    }

    public Long getByOtherToolsToday() {
        return byOtherToolsToday;
    }

    /** public or premium; null when VirusTotal's counts are not known. */
    public String getKeyKind() {
        return keyKind;
    }

    /** One line for a page: "312 of 500 used today, 48 by other tools · 2 of 4 this minute · …". */
    public String getSummary() {
        List<String> parts = new ArrayList<>();
        parts.add(text(today, "today") + (byOtherToolsToday != null && byOtherToolsToday > 0
                ? ", " + byOtherToolsToday + " by other tools" : ""));
        parts.add(text(minute, "this minute"));
        if (hour != null) {
            parts.add(text(hour, "this hour"));
        }
        if (month != null) {
            parts.add(text(month, "this month"));
        }
        String counts = fromVirusTotal ? " (VirusTotal's counts" + (keyKind == null ? "" : "; a " + keyKind + " key")
                + ")" : " (our own count; VirusTotal's is not known)";
        return String.join(" · ", parts) + counts;
    }

    private static String text(Period period, String when) {
        return period.limit() == null ? period.used() + " used " + when
                : period.used() + " of " + period.limit() + " used " + when;
    }

    /** The figures for {@code /health}; unknown ones are left out. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("source", getSource());
        if (keyKind != null) {
            map.put("keyKind", keyKind);
        }
        map.put("minute", minute.toMap());
        if (hour != null) {
            map.put("hour", hour.toMap());
        }
        Map<String, Object> day = today.toMap();
        if (byOtherToolsToday != null) {
            day.put("byOtherTools", byOtherToolsToday);
        }
        map.put("today", day);
        if (month != null) {
            map.put("month", month.toMap());
        }
        if (readAt != null) {
            map.put("readAt", readAt.toString());
        }
        map.put("summary", getSummary());
        return map;
    }
}
