package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Instances;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Exports over HTTP from clients that misbehave: clients that stop reading a sorted export (more of them
 * than the database pool has connections) leave uploads working, and an export whose reading fails
 * part-way reaches the client as a cut connection, never as a document that looks complete.
 */
@ExtendWith(ArquillianExtension.class)
class ExportStreamIT {
    /** About 12 MB of JSON: far more than the socket buffers of a client that stopped reading hold. */
    private static final int HASHES = 30_000;
    /** One more than the SQLite pool's connections. */
    private static final int STALLED_READERS = 7;
    private static final Path DATA_DIR = AppSettings.freshDataDir("export-stream");

    private static String batchId;

    private final ObjectMapper json = new ObjectMapper();
    /** What each stalled client read before it stopped. */
    private final Map<Socket, String> firstBytes = new java.util.HashMap<>();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_HASHES_PER_BATCH", String.valueOf(HASHES),
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", String.valueOf(2 * HASHES)));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @BeforeEach
    void largeBatch() throws Exception {
        if (batchId != null) {
            return;
        }
        StringBuilder upload = new StringBuilder(HASHES * 65);
        for (int i = 0; i < HASHES; i++) {
            upload.append(Instances.sha256("export-stream", i)).append('\n');
        }
        HttpResponse<String> created = http().post("/api/batches", "text/plain",
                upload.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();
        http().awaitStored(id); // stored in the background: 30,000 hashes
        batchId = id;
    }

    @Test
    void exportsThatStopBeingReadLeaveUploadsWorking() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < STALLED_READERS; i++) {
                String sort = i % 2 == 0 ? "sort=hash" : "sort=hash&dir=desc";
                stalled.add(request("/api/batches/" + batchId + "?format=json&" + sort));
            }
            // The server fills the socket buffers and blocks writing; the connector's write timeout (10 s
            // here) would only free a thread that held a connection after the upload below gave up.
            Thread.sleep(1_500);

            long start = System.nanoTime();
            HttpResponse<String> upload = http().post("/api/batches", "text/plain",
                    Instances.sha256("while exports hang", 1).getBytes(StandardCharsets.UTF_8));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(201, upload.statusCode(), upload.body());
            assertTrue(elapsedMs < 5_000, "upload took " + elapsedMs + " ms");
            String page = http().get("/api/batches/" + batchId + "?limit=10&sort=name").body();
            assertEquals(10, json.readTree(page).path("items").size(), "paged reads still answer");
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    @Test
    void anExportWhoseReadingFailsPartWayIsCutNotClosed() throws Exception {
        Socket socket = stalledExport("/api/batches/" + batchId + "?format=json&sort=name");
        String received;
        try {
            Thread.sleep(1_000); // the server has read the first chunks and waits for the client
            sql("ALTER TABLE files RENAME TO files_away"); // every later chunk fails
            received = readToEnd(socket);
        } finally {
            socket.close();
            sql("ALTER TABLE files_away RENAME TO files");
        }
        assertTrue(received.startsWith("HTTP/1.1 200"), received.substring(0, Math.min(200, received.length())));
        assertTrue(received.contains("\"items\":[{\"hash\""), "the export had begun");
        assertFalse(received.endsWith("0\r\n\r\n"), "no last chunk: the client sees the answer cut short");
        assertFalse(received.contains("]}"), "the document is not closed");

        HttpResponse<byte[]> whole = http().getBytes("/api/batches/" + batchId + "?format=json&sort=name");
        JsonNode export = json.readTree(whole.body());
        assertEquals(HASHES, export.path("items").size(), "with the table back the export is whole again");
    }

    private Http http() {
        return new Http(URI.create(base.toString()));
    }

    /** Sends a GET and reads only the answer's first bytes, then stops reading. */
    private Socket stalledExport(String path) throws IOException {
        Socket socket = request(path);
        byte[] first = new byte[1024];
        int n = socket.getInputStream().read(first);
        String head = n > 0 ? new String(first, 0, n, StandardCharsets.ISO_8859_1) : "";
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        firstBytes.put(socket, head);
        return socket;
    }

    /** Sends a GET from a client with a small receive buffer that reads nothing yet. */
    private Socket request(String path) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(8 * 1024);
        socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
        socket.setSoTimeout(20_000);
        String context = base.getPath().replaceAll("/$", "");
        socket.getOutputStream().write(("GET " + context + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Everything the server still sends until it closes the connection (or resets it). */
    private String readToEnd(Socket socket) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(firstBytes.getOrDefault(socket, "").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[64 * 1024];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                all.write(buffer, 0, n);
                if (n >= 5 && new String(buffer, n - 5, 5, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n")) {
                    break; // a complete chunked answer; the connection would stay open
                }
            }
        } catch (java.net.SocketException e) {
            // reset: also a cut
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + DATA_DIR.resolve("vt-batch-search.db"));
                Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            s.execute(statement);
        }
    }
}
