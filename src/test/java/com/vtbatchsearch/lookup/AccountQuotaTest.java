package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Reads VirusTotal's real overall_quotas answers (src/test/resources/vt-real). */
class AccountQuotaTest {
    private final ObjectMapper json = new ObjectMapper();

    private JsonNode resource(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/vt-real/" + name)) {
            return json.readTree(in);
        }
    }

    @Test
    void theDocumentationsExampleTakesTheGroupsAllowanceWhereTheUserHasNoCap() throws IOException {
        AccountQuota quota = AccountQuota.parse(resource("users-overall_quotas.docs-example.json"), Instant.EPOCH);

        assertEquals(new AccountQuota.Counter(99_000_000L, 45_073), quota.daily());
        assertEquals(new AccountQuota.Counter(3_300_000L, 653), quota.hourly());
        // user 1e9 and group 2e9: neither is a cap
        assertNull(quota.monthly().allowed());
        assertEquals("premium", quota.keyKind());
    }

    @Test
    void aPremiumAnswerTakesTheTighterOfUserAndGroup() throws IOException {
        JsonNode answer = json.createObjectNode()
                .set("data", resource("users-overall_quotas.premium-xsoar-context.data-only.json"));

        AccountQuota quota = AccountQuota.parse(answer, Instant.EPOCH);

        assertEquals(new AccountQuota.Counter(1_000L, 74), quota.daily()); // 926 left for the user, 29 M for the group
        assertEquals(new AccountQuota.Counter(1_800_000L, 8_712), quota.hourly());
        assertFalse(quota.monthly().capped());
        assertEquals("premium", quota.keyKind());
    }

    @Test
    void aPublicKeysAnswerLooksPublic() throws IOException {
        AccountQuota quota = AccountQuota.parse(json.readTree("""
                {"data": {"api_requests_hourly": {"user": {"allowed": 240, "used": 3}},
                  "api_requests_daily": {"user": {"allowed": 500, "used": 17}},
                  "api_requests_monthly": {"user": {"allowed": 15500, "used": 80}}}}"""), Instant.EPOCH);

        assertTrue(quota.looksPublic());
        assertEquals(483, quota.daily().remaining());
    }

    @Test
    void anAnswerThatIsNotTheQuotasIsRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> AccountQuota.parse(json.readTree(
                "{\"error\": {\"code\": \"NotFoundError\", \"message\": \"User not found\"}}"), Instant.EPOCH));
    }
}
