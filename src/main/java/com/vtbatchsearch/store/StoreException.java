package com.vtbatchsearch.store;

/** A database operation failed; wraps the {@link java.sql.SQLException} so callers need not. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
