package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code POST /upload}: the form's file and/or pasted text become a batch, and the browser is sent to
 * its report (303). A rejected upload gets the form again with the reason, its status and the pasted text.
 */
public final class UploadServlet extends HttpServlet {
    private final UploadParser parser;
    private final BatchService batches;
    private final UploadLimits limits;
    private final UploadThrottle throttle;

    public UploadServlet(UploadLimits limits, BatchService batches, UploadThrottle throttle) {
        this.parser = new UploadParser(limits.maxUploadBytes(), limits.getMaxHashesPerBatch());
        this.batches = batches;
        this.limits = limits;
        this.throttle = throttle;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.sendRedirect(request.getContextPath() + "/");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.setAttribute("limits", limits);
        if (!UploadParser.isMultipart(request)) {
            request.setAttribute("error", "Send the form as multipart/form-data, with a file or pasted text.");
            Views.render(request, response, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE, "upload");
            return;
        }
        BatchService.Submitted batch;
        UploadParser.PastedText pasted = new UploadParser.PastedText();
        UploadBody body = new UploadBody(request, limits);
        try (UploadThrottle.Ticket ticket = throttle.admit(request.getRemoteAddr())) {
            ExtractedHashes hashes = parser.parseMultipart(body, pasted);
            ticket.spendNewHashes(batches.lookupsNeeded(hashes));
            batch = batches.submit(hashes);
            ticket.commit();
        } catch (UploadRejectedException e) {
            UploadThrottle.addRetryAfter(response, e);
            request.setAttribute("error", e.getMessage());
            request.setAttribute("pastedText", pasted.text());
            body.discardRest(response, e);
            Views.render(request, response, e.status(), "upload");
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/report/" + batch.id());
    }
}
