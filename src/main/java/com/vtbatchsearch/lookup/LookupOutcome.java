package com.vtbatchsearch.lookup;

/** What one request to VirusTotal for one hash came to. */
public sealed interface LookupOutcome {

    /** 200: VirusTotal knows the file. */
    record Found(FileReport report) implements LookupOutcome {
    }

    /** 404 NotFoundError: VirusTotal has never seen the file. A final answer, cached like a found one. */
    record NotFound() implements LookupOutcome {
    }

    /** 401 (or 403 WrongCredentialsError/ForbiddenError): the API key is missing, wrong or disabled. */
    record KeyRejected(String code, String message) implements LookupOutcome {
    }

    /**
     * 429: QuotaExceededError or TooManyRequestsError. The question is still open.
     * {@code retryAfter} is the wait the answer's {@code Retry-After} asks for, or null.
     */
    record RateLimited(String code, String message, java.time.Duration retryAfter) implements LookupOutcome {
        public RateLimited(String code, String message) {
            this(code, message, null);
        }

        RateLimited withRetryAfter(java.time.Duration wait) {
            return new RateLimited(code, message, wait);
        }
    }

    /** 5xx, a timeout, a reset connection, an unparseable body: worth another try later. */
    record Failed(String reason) implements LookupOutcome {
    }
}
