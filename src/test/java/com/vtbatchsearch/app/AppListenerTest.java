package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Driver;
import java.sql.DriverManager;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppListenerTest {
    @Test
    void contextDestroyedDeregistersOnlyTheDriversTheAppsOwnClassLoaderLoaded() throws Exception {
        Class.forName("org.sqlite.JDBC");
        Class.forName("org.postgresql.Driver");
        ClassLoader loader = AppListener.class.getClassLoader();
        List<Driver> before = Collections.list(DriverManager.getDrivers());
        assertTrue(before.stream().anyMatch(d -> d.getClass().getName().equals("org.sqlite.JDBC")));
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        try (URLClassLoader anotherApp = new URLClassLoader(new URL[0], loader)) {
            // Another app's loader, whose drivers come from its parent: none of them is its own.
            thread.setContextClassLoader(anotherApp);
            new AppListener().contextDestroyed(null);
            assertEquals(before, Collections.list(DriverManager.getDrivers()), "drivers of a parent loader stay");

            // The app's own loader, as the container sets it when the app stops.
            thread.setContextClassLoader(loader);
            new AppListener().contextDestroyed(null);
            List<Driver> after = Collections.list(DriverManager.getDrivers());
            assertFalse(after.stream().anyMatch(d -> d.getClass().getClassLoader() == loader),
                    "still registered: " + after);
        } finally {
            thread.setContextClassLoader(context);
            // Other tests in this JVM still open databases through DriverManager.
            for (Driver driver : before) {
                if (!Collections.list(DriverManager.getDrivers()).contains(driver)) {
                    DriverManager.registerDriver(driver);
                }
            }
        }
    }
}
