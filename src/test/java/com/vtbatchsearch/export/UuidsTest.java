package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Name-based UUIDs agree with RFC 9562 (values computed independently with Python's uuid.uuid5). */
class UuidsTest {
    @Test
    void version5AgreesWithTheReferenceImplementation() {
        UUID dns = UUID.fromString("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        assertEquals(UUID.fromString("886313e1-3b8a-5372-9b90-0c9aee199e5d"), Uuids.v5(dns, "python.org"));
        assertEquals(UUID.fromString("f40b845a-1ad9-5f01-b336-abff3af867f5"), Uuids.NAMESPACE);
        assertEquals("identity--4a659e02-664b-518d-b519-9e3510aa9feb", StixBundleWriter.IDENTITY_ID);
        assertEquals("indicator--dc518100-3ca7-5200-a3b0-68d1bafd8521",
                StixBundleWriter.indicatorId("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"));
        assertEquals(5, Uuids.of("anything").version());
        assertEquals(2, Uuids.of("anything").variant());
        assertNotEquals(Uuids.of("a"), Uuids.of("b"));
    }
}
