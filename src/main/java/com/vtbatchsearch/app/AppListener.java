package com.vtbatchsearch.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.web.AccessControlFilter;
import com.vtbatchsearch.web.AccessToken;
import com.vtbatchsearch.web.ApiBatchesServlet;
import com.vtbatchsearch.web.CsrfFilter;
import com.vtbatchsearch.web.ErrorPageServlet;
import com.vtbatchsearch.web.HealthServlet;
import com.vtbatchsearch.web.HomeServlet;
import com.vtbatchsearch.web.LoginServlet;
import com.vtbatchsearch.web.ReportServlet;
import com.vtbatchsearch.web.RequestShapeFilter;
import com.vtbatchsearch.web.SecurityHeadersFilter;
import com.vtbatchsearch.web.UploadLimits;
import com.vtbatchsearch.web.UploadServlet;
import com.vtbatchsearch.web.UploadThrottle;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collections;
import java.util.EnumSet;
import java.util.logging.Logger;

/**
 * Starts the {@link Application} when the web app starts, registers the filters and servlets with
 * their collaborators, and closes the application when the web app stops.
 */
@WebListener
public final class AppListener implements ServletContextListener {
    private static final Logger LOG = Logger.getLogger(AppListener.class.getName());

    private Application app;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        try {
            app = Application.start(AppConfig.fromEnvironment(), Clock.systemUTC());
        } catch (RuntimeException e) {
            LOG.severe("VT Batch Search cannot start: " + Application.describe(e));
            throw e;
        }
        register(event.getServletContext(), app);
    }

    private static void register(ServletContext context, Application app) {
        AppConfig config = app.config();
        ObjectMapper json = new ObjectMapper();
        UploadLimits limits = new UploadLimits(config.maxUploadMb(), config.maxHashesPerBatch());
        UploadThrottle throttle = new UploadThrottle(config.maxBatchesPerHourPerClient(),
                config.maxNewHashesPerDayPerClient(), app.throttleStore(), Clock.systemUTC());
        context.setAttribute("lookupStatus", app.status());
        addSecurityFilters(context, config);
        context.addServlet("home", new HomeServlet(limits)).addMapping("");
        context.addServlet("upload", new UploadServlet(limits, app.batches(), throttle)).addMapping("/upload");
        context.addServlet("report", new ReportServlet(app.batches(), throttle)).addMapping("/report/*");
        context.addServlet("api-batches", new ApiBatchesServlet(limits, app.batches(), json, throttle))
                .addMapping("/api/batches", "/api/batches/*");
        context.addServlet("health", new HealthServlet(app.database().isPostgres() ? "postgresql" : "sqlite",
                app.database()::isHealthy, app.queue(), app.status(), app.limiter(),
                app.workers(), app.workerExecutor(), json)).addMapping("/health");
        context.addServlet("error-page", new ErrorPageServlet(json)).addMapping("/WEB-INF/error");
    }

    /** In this order on every request: headers, request shape, access token (if set), CSRF. */
    private static void addSecurityFilters(ServletContext context, AppConfig config) {
        // the session (CSRF token, sign-in) is never readable by script nor sent by another site's page
        context.getSessionCookieConfig().setHttpOnly(true);
        context.getSessionCookieConfig().setAttribute("SameSite", "Strict");
        EnumSet<DispatcherType> all = EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR);
        context.addFilter("security-headers", new SecurityHeadersFilter()).addMappingForUrlPatterns(all, false, "/*");
        context.addFilter("request-shape", new RequestShapeFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        config.accessToken().map(AccessToken::new).ifPresentOrElse(token -> {
            context.addFilter("access-control", new AccessControlFilter(token))
                    .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            context.addServlet("login", new LoginServlet(token)).addMapping("/login");
        }, () -> LOG.warning("ACCESS_TOKEN is not set: anyone who can reach this instance can upload and "
                + "spend its VirusTotal quota"));
        context.addFilter("csrf", new CsrfFilter()).addMappingForUrlPatterns(all, false, "/*");
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (app != null) {
            app.close();
        }
        // The container calls listeners with the web app's own class loader as the context loader.
        deregisterDrivers(Thread.currentThread().getContextClassLoader());
    }

    /**
     * Deregisters the JDBC drivers that {@code webapp} loaded itself (SQLite's and PostgreSQL's register
     * themselves when first loaded): DriverManager would otherwise keep them, and through them the whole
     * class loader of an undeployed app. Drivers that a parent loader (the container, a test's class path)
     * or another app loaded are left alone.
     */
    static void deregisterDrivers(ClassLoader webapp) {
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() != webapp) {
                continue;
            }
            try {
                DriverManager.deregisterDriver(driver);
            } catch (SQLException | SecurityException e) {
                LOG.warning(() -> "JDBC driver " + driver.getClass().getName() + " not deregistered: " + e);
            }
        }
    }
}
