package com.vtbatchsearch.dev;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * Runs the built WAR on embedded TomEE 10 for a person to use ({@code mvn -Prun package}), with the
 * managed executor of tomee.xml, and prints the address once the app answers.
 * Arguments: the WAR file, the tomee.xml file; system property {@code port} (default 8080).
 */
public final class DevServer {
    private DevServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.getInteger("port", 8080);
        String url = "http://localhost:" + port + "/";
        Thread announcer = new Thread(() -> announceWhenUp(url), "announce-url");
        announcer.setDaemon(true);
        announcer.start();
        org.apache.tomee.embedded.Main.main(new String[] {
            "--path=" + args[0], "--context=", "--port=" + port, "--tomeexml=" + args[1]});
    }

    private static void announceWhenUp(String url) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<Void> health = client.send(HttpRequest.newBuilder(URI.create(url + "health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (health.statusCode() < 500) {
                    System.out.println();
                    System.out.println("VT Batch Search is running at " + url + "  (Ctrl+C to stop)");
                    System.out.println();
                    return;
                }
            } catch (Exception e) {
                // not up yet
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
        System.out.println("VT Batch Search did not answer at " + url + " within 3 minutes; see the log above.");
    }
}
