package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.lookup.StoredAnswer;
import com.vtbatchsearch.lookup.StoredAnswerBackfill;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * VirusTotal's real answers are stored compressed, small, and read back whole: the expanded row's engines
 * and names, and the report's columns; answers stored as text before compression are rewritten in place.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class CompressedAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] REAL = {
        "file-eicar-2026.json", "file-clean-win32exe-aclock.json", "file-malicious-doc-w97m-hill.json"};

    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private LookupRepository lookups;
    private BatchService service;
    private final MutableClock clock = new MutableClock(Instant.now());

    @BeforeEach
    void open() {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        lookups = new LookupRepository(database);
        service = new BatchService(new BatchRepository(database, new Freshness(Duration.ofDays(7),
                Duration.ofHours(24))), new EmbeddedLookupQueue(), null, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    static String real(String name) throws IOException {
        try (InputStream in = CompressedAnswersTest.class.getResourceAsStream("/vt-real/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static FileReport report(String raw) throws IOException {
        var data = JSON.readTree(raw).path("data");
        var attributes = data.path("attributes");
        return new FileReport(data.path("id").asText(), attributes.path("md5").asText(),
                attributes.path("sha1").asText(), attributes.path("last_analysis_stats").path("malicious").asInt(), 0,
                0, 0, null, attributes.path("meaningful_name").asText(null), null, null, null, null, List.of(), raw);
    }

    private String submit(String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String hash : hashes) {
            distinct.put(hash, HashType.of(hash).orElseThrow());
        }
        return service.submit(new ExtractedHashes(distinct, hashes.length)).id();
    }

    private Object[] stored(String sha256) throws SQLException {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT raw_json, raw_gzip FROM files WHERE sha256 = ?")) {
            s.setString(1, sha256);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return new Object[] {r.getString(1), r.getBytes(2)};
            }
        }
    }

    @Test
    void realAnswersAreStoredCompressedAndReadWhole() throws Exception {
        for (String name : REAL) {
            String raw = real(name);
            FileReport answer = report(raw);
            String id = submit(answer.md5());
            lookups.saveFound(answer.md5(), answer, clock.instant());

            Object[] row = stored(answer.sha256());
            assertEquals("", row[0], name + ": no text kept beside the compressed answer");
            int size = ((byte[]) row[1]).length;
            assertTrue(size < 6 * 1024 && size < raw.length() / 5, name + ": " + size + " bytes of " + raw.length());

            FileDetails details = service.details(id, answer.md5()).orElseThrow();
            FileDetails fromText = FileDetails.fromRawJson(answer.md5(), "done", raw);
            assertEquals(fromText, details, name + ": the expanded row reads what it read from the text");
            assertEquals(answer.malicious() > 0, !details.engines().isEmpty());
            assertFalse(details.names().isEmpty());
        }
    }

    @Test
    void controlCharactersAreStillCleanedFromTheStoredAnswer() throws Exception {
        String md5 = "%032x".formatted(7);
        String sha256 = "%064x".formatted(7);
        String raw = "{\n    \"data\": {\"id\": \"" + sha256 + "\", \"attributes\": {\"names\": [\"a\\u0000b\\tc\"]}}\n}";
        String id = submit(md5);
        lookups.saveFound(md5, new FileReport(sha256, md5, null, 0, 0, 1, 0, null, null, null, null, null, null,
                List.of(), raw), clock.instant());
        assertEquals(List.of("ab c"), service.details(id, md5).orElseThrow().names());
    }

    @Test
    void answersStoredAsTextBeforeAreRewrittenCompressedInChunks() throws Exception {
        String[] ids = new String[REAL.length];
        for (int n = 0; n < REAL.length; n++) {
            FileReport answer = report(real(REAL[n]));
            lookups.saveFound(answer.md5(), answer, clock.instant());
            ids[n] = answer.sha256();
            // As the release before compression left it: the pretty-printed text, nothing compressed.
            try (Connection c = database.connection();
                    PreparedStatement s = c.prepareStatement(
                            "UPDATE files SET raw_json = ?, raw_gzip = NULL WHERE sha256 = ?")) {
                s.setString(1, real(REAL[n]));
                s.setString(2, answer.sha256());
                s.executeUpdate();
            }
        }
        String batch = submit(report(real(REAL[0])).md5());
        FileDetails before = service.details(batch, report(real(REAL[0])).md5()).orElseThrow();
        assertFalse(before.engines().isEmpty(), "an answer not rewritten yet is read from its text");

        String after = "";
        int chunks = 0;
        int rewritten = 0;
        LookupRepository.Walked chunk;
        while ((chunk = lookups.compressStoredAnswers(after, 2)) != null) {
            after = chunk.last();
            rewritten += chunk.changed();
            chunks++;
        }
        assertEquals(2, chunks, "three answers, two per chunk");
        assertEquals(3, rewritten);
        for (String sha256 : ids) {
            Object[] row = stored(sha256);
            assertEquals("", row[0]);
            assertTrue(((byte[]) row[1]).length < 6 * 1024);
            assertFalse(StoredAnswer.isOutdated((byte[]) row[1]), "packed as new answers are");
        }
        assertEquals(before, service.details(batch, report(real(REAL[0])).md5()).orElseThrow());
        assertEquals(1, service.report(batch).orElseThrow().getCounts().getMalicious(), "the report reads its columns");
    }

    private void setStored(String sha256, String rawJson, byte[] rawGzip) throws SQLException {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("UPDATE files SET raw_json = ?, raw_gzip = ? WHERE sha256 = ?")) {
            s.setString(1, rawJson);
            s.setBytes(2, rawGzip);
            s.setString(3, sha256);
            assertEquals(1, s.executeUpdate());
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) { // as the releases before the dictionary did
            gzip.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /**
     * A database holding answers of every earlier form (text before compression, gzip before the dictionary)
     * beside new ones reads all of them, before the housekeeping's backfill and after it; the backfill packs
     * the old ones as new answers are, leaves new ones, and goes past bytes it cannot read.
     */
    @Test
    void answersStoredAsTextOrGzipReadTheSameBeforeAndAfterTheyArePackedAgain() throws Exception {
        String[] names = {"file-eicar-2026.json", "file-clean-win32exe-aclock.json", "file-malicious-doc-w97m-hill.json",
            "file-malicious-rtf-cve-2017-11882.json", "file-clean-elf-haiku.json"};
        List<FileReport> answers = new java.util.ArrayList<>();
        for (String name : names) {
            FileReport answer = report(real(name));
            answers.add(answer);
            lookups.saveFound(answer.md5(), answer, clock.instant());
        }
        String compact1 = StoredAnswer.unpack(StoredAnswer.pack(real(names[1])));
        String compact2 = StoredAnswer.unpack(StoredAnswer.pack(real(names[2])));
        setStored(answers.get(0).sha256(), real(names[0]), null); // text, as before V4
        setStored(answers.get(1).sha256(), "", gzip(compact1)); // gzip, as before the dictionary
        setStored(answers.get(2).sha256(), "", gzip(compact2));
        byte[] current = (byte[]) stored(answers.get(3).sha256())[1];
        // Bytes this release cannot read: a dictionary it does not have (a newer release's), a broken gzip.
        byte[] newer = ((byte[]) stored(answers.get(4).sha256())[1]).clone();
        newer[2] ^= 0x55;
        String unknownSha = "%064x".formatted(11);
        String brokenSha = "%064x".formatted(12);
        lookups.saveFound("%032x".formatted(11), new FileReport(unknownSha, "%032x".formatted(11), null, 0, 0, 1, 0,
                null, null, null, null, null, null, List.of(), "{}"), clock.instant());
        lookups.saveFound("%032x".formatted(12), new FileReport(brokenSha, "%032x".formatted(12), null, 0, 0, 1, 0,
                null, null, null, null, null, null, List.of(), "{}"), clock.instant());
        setStored(unknownSha, "", newer);
        byte[] broken = gzip("{\"data\":{}}");
        java.util.Arrays.fill(broken, 10, broken.length, (byte) 0x33);
        setStored(brokenSha, "", broken);

        String[] hashes = answers.stream().map(FileReport::md5).toArray(String[]::new);
        String batch = submit(hashes);
        List<FileDetails> before = new java.util.ArrayList<>();
        for (FileReport answer : answers) {
            FileDetails details = service.details(batch, answer.md5()).orElseThrow();
            assertEquals(FileDetails.fromRawJson(answer.md5(), "done", real(names[answers.indexOf(answer)])), details,
                    "read from " + answer.md5() + "'s stored form before the backfill");
            before.add(details);
        }

        StoredAnswerBackfill.compressing(lookups).run();

        assertEquals(compact1, StoredAnswer.unpack((byte[]) stored(answers.get(1).sha256())[1]));
        for (int n = 0; n < answers.size(); n++) {
            Object[] row = stored(answers.get(n).sha256());
            assertEquals("", row[0]);
            byte[] bytes = (byte[]) row[1];
            assertFalse(StoredAnswer.isOutdated(bytes), names[n] + " packed as new answers are");
            assertEquals(0x78, bytes[0] & 0xff, names[n] + ": zlib with the dictionary");
            assertEquals(before.get(n), service.details(batch, answers.get(n).md5()).orElseThrow(), names[n]);
        }
        assertArrayEquals(current, (byte[]) stored(answers.get(3).sha256())[1], "an answer packed so is left as it is");
        assertArrayEquals(newer, (byte[]) stored(unknownSha)[1], "a newer release's answer is left as it is");
        assertArrayEquals(broken, (byte[]) stored(brokenSha)[1], "unreadable bytes are left, the walk goes on");
        LookupRepository.Walked again = lookups.compressStoredAnswers("", 200);
        assertEquals(0, again.changed(), "a second walk finds nothing to rewrite");
        assertEquals(3, service.report(batch).orElseThrow().getCounts().getMalicious(), "the report reads its columns");
    }
}
