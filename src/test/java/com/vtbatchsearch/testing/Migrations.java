package com.vtbatchsearch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The schema migrations the build ships (src/main/resources/db/migration), so tests follow new ones. */
public final class Migrations {
    private static final Pattern VERSIONED = Pattern.compile("V(\\d+)__.*\\.sql");

    private Migrations() {
    }

    /** The versions of the shipped migrations in order, e.g. [1, 2]. */
    public static List<Integer> versions() {
        URL dir = Migrations.class.getClassLoader().getResource("db/migration");
        if (dir == null) {
            throw new IllegalStateException("no db/migration on the class path");
        }
        List<Integer> versions = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            files.map(f -> VERSIONED.matcher(f.getFileName().toString())).filter(Matcher::matches)
                    .forEach(m -> versions.add(Integer.parseInt(m.group(1))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        versions.sort(Comparator.naturalOrder());
        return versions;
    }

    /** The latest version, as Flyway names it. */
    public static String latest() {
        List<Integer> versions = versions();
        return String.valueOf(versions.get(versions.size() - 1));
    }

    /** Flyway's history rows ("SQL n true") for the shipped migrations above {@code after}. */
    public static List<String> appliedAfter(int after) {
        return versions().stream().filter(v -> v > after).map(v -> "SQL " + v + " true").toList();
    }
}
