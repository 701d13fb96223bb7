package com.vtbatchsearch.batch;

import static com.vtbatchsearch.batch.ChangeKind.DETECTIONS_DOWN;
import static com.vtbatchsearch.batch.ChangeKind.DETECTIONS_UP;
import static com.vtbatchsearch.batch.ChangeKind.FAMILY_CHANGED;
import static com.vtbatchsearch.batch.ChangeKind.LABEL_CHANGED;
import static com.vtbatchsearch.batch.ChangeKind.NEWLY_KNOWN;
import static com.vtbatchsearch.batch.ChangeKind.NEWLY_MALICIOUS;
import static com.vtbatchsearch.batch.ChangeKind.NEWLY_SUSPICIOUS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.vtbatchsearch.batch.ChangeKind.Answer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kinds of change between an answer before a re-check and the one after. */
class ChangeKindTest {
    private static Answer found(int malicious, int suspicious, String label, String family) {
        return new Answer(true, malicious, suspicious, label, family);
    }

    @Test
    void newlyMaliciousFollowsTheVerdictPolicy() {
        VerdictPolicy five = new VerdictPolicy(5, List.of());
        // 2 -> 4 engines: malicious by VirusTotal's convention all along; under MALICIOUS_MIN_ENGINES=5 still suspicious.
        assertEquals(List.of(), ChangeKind.between(found(2, 0, "a", "f"), found(4, 0, "a", "f"), 3));
        assertEquals(List.of(), ChangeKind.between(found(2, 0, "a", "f"), found(4, 0, "a", "f"), 3, five));
        // 3 -> 6 engines: crosses 5, so newly malicious only under the policy.
        assertEquals(List.of(DETECTIONS_UP), ChangeKind.between(found(3, 0, "a", "f"), found(6, 0, "a", "f"), 3));
        assertEquals(List.of(NEWLY_MALICIOUS, DETECTIONS_UP),
                ChangeKind.between(found(3, 0, "a", "f"), found(6, 0, "a", "f"), 3, five));
        // 0 -> 2 engines: below the threshold it is newly suspicious, not malicious.
        assertEquals(List.of(NEWLY_SUSPICIOUS), ChangeKind.between(found(0, 0, "a", "f"), found(2, 0, "a", "f"), 3, five));
    }

    @Test
    void eachKindIsFoundAndOnlyWhereItApplies() {
        assertEquals(List.of(NEWLY_MALICIOUS, DETECTIONS_UP), ChangeKind.between(found(0, 0, "a", "f"),
                found(5, 0, "a", "f"), 3));
        assertEquals(List.of(NEWLY_MALICIOUS), ChangeKind.between(found(0, 1, "a", "f"), found(2, 1, "a", "f"), 3));
        assertEquals(List.of(NEWLY_SUSPICIOUS), ChangeKind.between(found(0, 0, "a", "f"), found(0, 2, "a", "f"), 3));
        assertEquals(List.of(), ChangeKind.between(found(0, 2, "a", "f"), found(0, 3, "a", "f"), 3));
        assertEquals(List.of(), ChangeKind.between(found(10, 0, "a", "f"), found(12, 0, "a", "f"), 3));
        assertEquals(List.of(DETECTIONS_UP), ChangeKind.between(found(10, 0, "a", "f"), found(13, 0, "a", "f"), 3));
        assertEquals(List.of(DETECTIONS_DOWN), ChangeKind.between(found(10, 0, "a", "f"), found(7, 0, "a", "f"), 3));
        assertEquals(List.of(), ChangeKind.between(found(10, 0, "a", "f"), found(7, 0, "a", "f"), 4));
        assertEquals(List.of(NEWLY_MALICIOUS, NEWLY_KNOWN), ChangeKind.between(Answer.notFound(),
                found(1, 0, "a", "f"), 3));
        assertEquals(List.of(NEWLY_KNOWN), ChangeKind.between(Answer.notFound(), found(0, 0, null, null), 3));
        assertEquals(List.of(LABEL_CHANGED), ChangeKind.between(found(4, 0, "a", "f"), found(4, 0, "b", "f"), 3));
        assertEquals(List.of(FAMILY_CHANGED), ChangeKind.between(found(4, 0, "a", "f"), found(4, 0, "a", "g"), 3));
        assertEquals(List.of(), ChangeKind.between(found(4, 0, "", null), found(4, 0, null, " "), 3),
                "an empty label is no label");
        assertEquals(List.of(), ChangeKind.between(found(4, 0, "a", "f"), Answer.notFound(), 3),
                "no longer found is not a kind of change");
    }

    @Test
    void storedKindsReadBack() {
        String stored = ChangeKind.store(List.of(NEWLY_MALICIOUS, LABEL_CHANGED));
        assertEquals(",newly_malicious,label_changed,", stored);
        assertEquals(List.of("newly_malicious", "label_changed"), ChangeKind.read(stored));
        assertEquals(List.of(), ChangeKind.read(null));
    }
}
