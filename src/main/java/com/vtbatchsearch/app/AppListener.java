package com.vtbatchsearch.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.web.ApiBatchesServlet;
import com.vtbatchsearch.web.HealthServlet;
import com.vtbatchsearch.web.HomeServlet;
import com.vtbatchsearch.web.ReportServlet;
import com.vtbatchsearch.web.UploadLimits;
import com.vtbatchsearch.web.UploadServlet;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.time.Clock;
import java.util.logging.Logger;

/**
 * Starts the {@link Application} when the web app starts, registers the servlets with their
 * collaborators, and closes the application when the web app stops.
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
        ObjectMapper json = new ObjectMapper();
        UploadLimits limits = new UploadLimits(app.config().maxUploadMb(), app.config().maxHashesPerBatch());
        context.setAttribute("lookupStatus", app.status());
        context.addServlet("home", new HomeServlet(limits)).addMapping("");
        context.addServlet("upload", new UploadServlet(limits, app.batches())).addMapping("/upload");
        context.addServlet("report", new ReportServlet(app.batches())).addMapping("/report/*");
        context.addServlet("api-batches", new ApiBatchesServlet(limits, app.batches(), json))
                .addMapping("/api/batches", "/api/batches/*");
        context.addServlet("health", new HealthServlet(app.database(), app.queue(), app.status(), app.limiter(),
                app.workers(), app.workerExecutor(), json)).addMapping("/health");
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (app != null) {
            app.close();
        }
    }
}
