package com.vtbatchsearch.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A forward HTTP proxy on loopback, as a company's would be: it takes requests in absolute form
 * ({@code GET http://host:port/path}), asks for Basic credentials with 407 when it has some, and
 * passes the request on (GET only, which is all the VirusTotal client sends), recording each.
 */
public final class ForwardProxy implements AutoCloseable {
    private final HttpServer server;
    private final String expectedAuthorization;
    private final HttpClient upstream = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private final List<URI> forwarded = new CopyOnWriteArrayList<>();
    private final AtomicInteger challenged = new AtomicInteger();

    /** @param user null for a proxy that asks for no credentials */
    public ForwardProxy(String user, String password) throws IOException {
        this.expectedAuthorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The requests passed on, in order. */
    public List<URI> forwarded() {
        return List.copyOf(forwarded);
    }

    /** Requests answered 407 for want of credentials. */
    public int challenged() {
        return challenged.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI target = exchange.getRequestURI();
            if (target.getScheme() == null || !"GET".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(400, -1); // not a proxy request
                return;
            }
            if (expectedAuthorization != null
                    && !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Proxy-Authorization"))) {
                challenged.incrementAndGet();
                exchange.getResponseHeaders().set("Proxy-Authenticate", "Basic realm=\"corporate proxy\"");
                exchange.sendResponseHeaders(407, -1);
                return;
            }
            forwarded.add(target);
            HttpRequest.Builder request = HttpRequest.newBuilder(target).GET();
            for (String header : List.of("x-apikey", "Accept", "User-Agent")) {
                String value = exchange.getRequestHeaders().getFirst(header);
                if (value != null) {
                    request.header(header, value);
                }
            }
            HttpResponse<byte[]> response = upstream.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            response.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
            response.headers().firstValue("Retry-After").ifPresent(v -> exchange.getResponseHeaders().set("Retry-After", v));
            byte[] body = response.body();
            exchange.sendResponseHeaders(response.statusCode(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
