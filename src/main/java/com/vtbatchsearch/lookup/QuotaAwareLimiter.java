package com.vtbatchsearch.lookup;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The budget in force: the tighter of the settings and VirusTotal's own counts of the key's hourly,
 * daily and monthly requests, which include those of every other tool sharing the key. Wraps the
 * limiter that keeps the per-minute and per-day settings (in process or in Redis) and, before each
 * permit, stops lookups until the period ends (the next hour, 00:00 UTC, the first of the next month)
 * once VirusTotal's count, plus the calls made since it was read, reaches the allowance, so no request
 * is sent that can only draw a 429. The counts are read at start-up, every {@code interval} while
 * lookups run, at the turn of each hour and after every 429; when they cannot be read (an old key, a
 * proxy's page, a 404) the settings alone apply, said once in the log.
 */
public final class QuotaAwareLimiter implements RateLimiter {
    private static final Logger LOG = Logger.getLogger(QuotaAwareLimiter.class.getName());

    /** Where VirusTotal's counts come from: the client's {@code overall_quotas} request. */
    @FunctionalInterface
    public interface QuotaSource {
        AccountQuota read() throws IOException;
    }

    /** How many calls the deployment made since an instant (the call log); for the hour and month settings. */
    @FunctionalInterface
    public interface CallCount {
        int since(Instant from);
    }

    /**
     * One reading: VirusTotal's counts (null when not known), our own calls this hour and month, and the
     * inner limiter's count of today's calls at that moment, so the calls made since can be added.
     */
    private record Reading(AccountQuota virusTotal, int ownHour, int ownMonth, int ownToday, Instant at) {
    }

    private final RateLimiter inner;
    private final QuotaSource source;
    private final CallCount calls;
    private final int perHour;
    private final int perMonth;
    private final Duration interval;
    private final String maskedKey;
    private final Clock clock;
    private volatile Reading reading;
    private boolean recheckDue = true;
    private boolean fallbackLogged;

    /**
     * @param perHour  VT_REQUESTS_PER_HOUR, 0 for no limit of its own
     * @param perMonth VT_REQUESTS_PER_MONTH, 0 for no limit of its own
     */
    public QuotaAwareLimiter(RateLimiter inner, QuotaSource source, CallCount calls, int perHour, int perMonth,
            Duration interval, String maskedKey, Clock clock) {
        this.inner = inner;
        this.source = source;
        this.calls = calls;
        this.perHour = perHour;
        this.perMonth = perMonth;
        this.interval = interval;
        this.maskedKey = maskedKey;
        this.clock = clock;
    }

    @Override
    public synchronized Optional<Instant> tryAcquire() {
        Instant now = clock.instant();
        Optional<Pause> paused = inner.pause();
        if (paused.isPresent()) {
            return Optional.of(paused.get().until());
        }
        if (refreshDue(now)) {
            refresh(now);
        }
        Optional<Pause> spent = spent(now);
        if (spent.isPresent()) {
            inner.pauseUntil(spent.get().until(), spent.get().reason());
            return Optional.of(spent.get().until());
        }
        return inner.tryAcquire();
    }

    /** Reads VirusTotal's counts now (as after a 429) and pauses at once if a period is spent. */
    @Override
    public synchronized void recheck() {
        Instant now = clock.instant();
        refresh(now);
        spent(now).ifPresent(p -> inner.pauseUntil(p.until(), p.reason()));
    }

    /** Reads VirusTotal's counts if none are known yet; for the start-up, off the request path. */
    public synchronized void readAtStart() {
        try {
            if (reading == null) {
                refresh(clock.instant());
            }
        } catch (RuntimeException e) {
            // the limiter's store is away (or closed meanwhile): the first permit reads them
        }
    }

    private boolean refreshDue(Instant now) {
        Reading r = reading;
        return r == null || recheckDue || !Duration.between(r.at(), now).minus(interval).isNegative()
                || !r.at().truncatedTo(ChronoUnit.HOURS).equals(now.truncatedTo(ChronoUnit.HOURS));
    }

    private void refresh(Instant now) {
        AccountQuota virusTotal = null;
        try {
            virusTotal = source.read();
            if (fallbackLogged) {
                LOG.info(() -> "VirusTotal's quota counts for key " + maskedKey + " can be read again");
                fallbackLogged = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!fallbackLogged) {
                fallbackLogged = true;
                LOG.warning(() -> "VirusTotal's quota counts for key " + maskedKey + " cannot be read ("
                        + e.getMessage() + "); the limits in the settings apply");
            }
        }
        int ownHour = 0;
        int ownMonth = 0;
        try {
            ownHour = perHour > 0 ? calls.since(now.truncatedTo(ChronoUnit.HOURS)) : 0;
            ownMonth = perMonth > 0 ? calls.since(startOfMonth(now)) : 0;
        } catch (RuntimeException e) {
            // the call log cannot be read: VirusTotal's counts, or the calls from now on, still hold
        }
        reading = new Reading(virusTotal, ownHour, ownMonth, inner.usedToday(), now);
        recheckDue = false;
    }

    /** Calls of the whole deployment since the reading (the inner limiter's day count has risen by that much). */
    private int sinceReading(Reading r, Instant now) {
        int today = inner.usedToday();
        return RateLimiter.utcDay(r.at()).equals(RateLimiter.utcDay(now)) ? Math.max(0, today - r.ownToday()) : today;
    }

    /** The period that is spent, soonest-ending last: a spent month outlasts a spent day. */
    private Optional<Pause> spent(Instant now) {
        Reading r = reading;
        if (r == null) {
            return Optional.empty();
        }
        int since = sinceReading(r, now);
        AccountQuota vt = r.virusTotal();
        Period month = period(vt == null ? null : vt.monthly(), perMonth, r.ownMonth(), since);
        if (month.spent()) {
            return Optional.of(new Pause(startOfMonth(now).atZone(ZoneOffset.UTC).plusMonths(1).toInstant(),
                    month.reason("month", "VT_REQUESTS_PER_MONTH")));
        }
        if (vt != null) {
            Period day = period(vt.daily(), 0, 0, since);
            if (day.spent()) {
                long others = Math.max(0, vt.daily().used() - r.ownToday());
                return Optional.of(new Pause(RateLimiter.startOfNextUtcDay(now), day.reason("day", null)
                        + (others > 0 ? ", " + others + " of them by other tools" : "")));
            }
        }
        Period hour = period(vt == null ? null : vt.hourly(), perHour, r.ownHour(), since);
        if (hour.spent()) {
            return Optional.of(new Pause(now.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1)),
                    hour.reason("hour", "VT_REQUESTS_PER_HOUR")));
        }
        return Optional.empty();
    }

    /** One period's used count and allowance, and whether the allowance came from VirusTotal. */
    private record Period(long used, Long allowed, boolean fromVirusTotal) {
        boolean spent() {
            return allowed != null && used >= allowed;
        }

        String reason(String name, String setting) {
            return fromVirusTotal
                    ? "the " + name + "'s quota is spent: VirusTotal counts " + used + " of " + allowed + " used"
                    : "the " + name + "'s budget (" + setting + " = " + allowed + ") is spent";
        }
    }

    private static Period period(AccountQuota.Counter vt, int setting, int own, int since) {
        long used = Math.max(vt == null ? 0 : vt.used(), own) + since;
        Long fromVt = vt == null || !vt.capped() ? null : vt.allowed();
        Long fromSetting = setting > 0 ? (long) setting : null;
        if (fromVt != null && (fromSetting == null || fromVt <= fromSetting)) {
            return new Period(used, fromVt, true);
        }
        return new Period(used, fromSetting, false);
    }

    private static Instant startOfMonth(Instant now) {
        LocalDate day = RateLimiter.utcDay(now);
        return day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    @Override
    public void pauseUntil(Instant until, String reason) {
        inner.pauseUntil(until, reason);
    }

    @Override
    public Optional<Pause> pause() {
        return inner.pause();
    }

    @Override
    public void exhaustToday() {
        inner.exhaustToday();
    }

    @Override
    public int usedThisMinute() {
        return inner.usedThisMinute();
    }

    /** Today's calls: VirusTotal's count (all tools sharing the key) when known, else the deployment's own. */
    @Override
    public int usedToday() {
        int own = inner.usedToday();
        Reading r = reading;
        if (r == null || r.virusTotal() == null || !RateLimiter.utcDay(r.at()).equals(RateLimiter.utcDay(clock.instant()))) {
            return own;
        }
        long vt = r.virusTotal().daily().used() + Math.max(0, own - r.ownToday());
        return (int) Math.min(Integer.MAX_VALUE, Math.max(own, vt));
    }

    @Override
    public int perMinute() {
        return inner.perMinute();
    }

    /** The day's budget in force: the setting, or VirusTotal's allowance when that is tighter. */
    @Override
    public int perDay() {
        Reading r = reading;
        if (r == null || r.virusTotal() == null || !r.virusTotal().daily().capped()) {
            return inner.perDay();
        }
        return (int) Math.min(inner.perDay(), r.virusTotal().daily().allowed());
    }

    @Override
    public long remainingThisMonth() {
        Reading r = reading;
        if (r == null) {
            return Long.MAX_VALUE;
        }
        Period month = period(r.virusTotal() == null ? null : r.virusTotal().monthly(), perMonth, r.ownMonth(),
                sinceReading(r, clock.instant()));
        return month.allowed() == null ? Long.MAX_VALUE : Math.max(0, month.allowed() - month.used());
    }

    @Override
    public QuotaMeter meter() {
        Instant now = clock.instant();
        Reading r = reading;
        QuotaMeter.Period minute = new QuotaMeter.Period(inner.usedThisMinute(), (long) inner.perMinute());
        QuotaMeter.Period today = new QuotaMeter.Period(usedToday(), (long) perDay());
        // A reading stands for its day; its hour only within that hour (no reading is taken during a pause).
        if (r == null || !RateLimiter.utcDay(r.at()).equals(RateLimiter.utcDay(now))) {
            return new QuotaMeter(false, minute, null, today, null, null, null, null);
        }
        boolean sameHour = r.at().truncatedTo(ChronoUnit.HOURS).equals(now.truncatedTo(ChronoUnit.HOURS));
        int since = sinceReading(r, now);
        AccountQuota vt = r.virusTotal();
        QuotaMeter.Period hour = sameHour
                ? shown(period(vt == null ? null : vt.hourly(), perHour, r.ownHour(), since), vt) : null;
        QuotaMeter.Period month = shown(period(vt == null ? null : vt.monthly(), perMonth, r.ownMonth(), since), vt);
        Long others = vt == null ? null : Math.max(0, vt.daily().used() - r.ownToday());
        return new QuotaMeter(vt != null, minute, hour, today, month, others, vt == null ? null : vt.keyKind(), r.at());
    }

    /** A period is shown when something is known of it: VirusTotal's count or a setting. */
    private static QuotaMeter.Period shown(Period period, AccountQuota vt) {
        return vt == null && period.allowed() == null ? null : new QuotaMeter.Period(period.used(), period.allowed());
    }
}
