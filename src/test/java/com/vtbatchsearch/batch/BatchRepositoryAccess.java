package com.vtbatchsearch.batch;

import com.vtbatchsearch.store.Database;

/** For tests outside this package: a repository that reads exports in chunks of a chosen size. */
public final class BatchRepositoryAccess {
    private BatchRepositoryAccess() {
    }

    public static BatchRepository withChunk(Database database, Freshness freshness, int exportChunk) {
        return new BatchRepository(database, freshness, exportChunk);
    }
}
