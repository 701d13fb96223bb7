package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Driver;
import java.sql.DriverManager;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppListenerTest {
    @Test
    void contextDestroyedDeregistersTheDriversTheAppsClassLoaderRegistered() throws Exception {
        Class.forName("org.sqlite.JDBC");
        Class.forName("org.postgresql.Driver");
        ClassLoader app = AppListener.class.getClassLoader();
        List<Driver> before = Collections.list(DriverManager.getDrivers());
        assertTrue(before.stream().anyMatch(d -> d.getClass().getName().equals("org.sqlite.JDBC")));
        try {
            new AppListener().contextDestroyed(null);

            List<Driver> after = Collections.list(DriverManager.getDrivers());
            assertFalse(after.stream().anyMatch(d -> d.getClass().getClassLoader() == app),
                    "still registered: " + after);
        } finally {
            // Other tests in this JVM still open databases through DriverManager.
            for (Driver driver : before) {
                if (!Collections.list(DriverManager.getDrivers()).contains(driver)) {
                    DriverManager.registerDriver(driver);
                }
            }
        }
    }
}
