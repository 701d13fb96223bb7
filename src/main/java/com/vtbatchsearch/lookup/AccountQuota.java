package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * The API key's request quotas as VirusTotal counts them ({@code GET /users/{key}/overall_quotas}): for
 * the hour, the day and the month, how many requests are allowed and how many were used, by every tool
 * that shares the key. Where a key also inherits a group's allowance, the tighter of the two (the one
 * with fewer requests left) is the one in force.
 */
public record AccountQuota(Counter hourly, Counter daily, Counter monthly, boolean group, Instant readAt) {

    /** VirusTotal writes "no cap of the user's own" as an allowance of a billion or more. */
    static final long NO_CAP = 1_000_000_000L;
    /** A public key's allowance: 500 a day (and 4 a minute, which VirusTotal does not report). */
    private static final long PUBLIC_DAILY = 500;

    /** One period's count; {@code allowed} is null when neither the key nor its group has a cap. */
    public record Counter(Long allowed, long used) {
        public boolean capped() {
            return allowed != null;
        }

        /** Requests left; {@link Long#MAX_VALUE} without a cap. */
        public long remaining() {
            return allowed == null ? Long.MAX_VALUE : Math.max(0, allowed - used);
        }
    }

    /** A key with a public key's allowance (500 a day or less, no group) rather than a premium one. */
    public boolean looksPublic() {
        return !group && daily.capped() && daily.allowed() <= PUBLIC_DAILY;
    }

    public String keyKind() {
        return looksPublic() ? "public" : "premium";
    }

    /**
     * Reads the {@code data} of an answer.
     *
     * @throws IllegalArgumentException when the answer is not an overall_quotas object (an old key, a
     *                                  proxy's page): the caller then keeps to the settings
     */
    public static AccountQuota parse(JsonNode answer, Instant readAt) {
        JsonNode data = answer.path("data");
        boolean group = data.path("api_requests_daily").has("group")
                || data.path("api_requests_monthly").has("group") || data.path("api_requests_hourly").has("group");
        return new AccountQuota(counter(data, "api_requests_hourly"), counter(data, "api_requests_daily"),
                counter(data, "api_requests_monthly"), group, readAt);
    }

    private static Counter counter(JsonNode data, String name) {
        JsonNode quota = data.path(name);
        Counter user = part(quota.path("user"));
        if (user == null) {
            throw new IllegalArgumentException("the answer has no " + name + ".user count");
        }
        Counter group = part(quota.path("group"));
        if (group == null || !group.capped()) {
            return user;
        }
        return !user.capped() || group.remaining() < user.remaining() ? group : user;
    }

    private static Counter part(JsonNode part) {
        if (!part.path("allowed").isIntegralNumber() || !part.path("used").isIntegralNumber()) {
            return null;
        }
        long allowed = part.path("allowed").asLong();
        return new Counter(allowed >= NO_CAP ? null : allowed, part.path("used").asLong());
    }
}
