// SPDX-License-Identifier: Apache-2.0
// An encrypted local replica (zb_db). Open with a raw 256-bit key (from the platform keystore)
// or a passphrase; read and write rows as JSON text; close() releases it (use try-with-resources
// or Kotlin's use {}). Thread-safe; every method except listener registration does disk I/O, so
// call it off the UI thread. Failures throw ZhibuException.
package cn.edu.zhibu;

public final class Database implements AutoCloseable {
    private final NativeHandle handle;

    private Database(long ptr) { handle = new NativeHandle(ptr); }

    /** Opens (or creates) the replica at `path` with a 32-byte key. The key is copied. */
    public static Database open(String path, byte[] key) {
        return new Database(Native.dbOpen(Utf8.encode(path), key, null));
    }

    /** Opens (or creates) the replica at `path`, its key wrapped under `passphrase`. */
    public static Database openWithPassphrase(String path, String passphrase) {
        return new Database(Native.dbOpen(Utf8.encode(path), null, Utf8.encode(passphrase)));
    }

    public static String libraryVersion() { return Utf8.decode(Native.version()); }

    long acquire() { return handle.acquire(); }
    void release() { handle.release(); }

    /** Writes columns of a row: `json` is an object {"column": value}. */
    public void write(String table, String row, String json) {
        long h = acquire();
        try {
            Native.dbWrite(h, Utf8.encode(table), Utf8.encode(row), Utf8.encode(json));
        } finally {
            release();
        }
    }

    public void increment(String table, String row, String column, long delta) {
        long h = acquire();
        try {
            Native.dbIncrement(h, Utf8.encode(table), Utf8.encode(row), Utf8.encode(column), delta);
        } finally {
            release();
        }
    }

    /** The row as a JSON object, or null when it does not exist or was removed. */
    public String read(String table, String row) {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbRead(h, Utf8.encode(table), Utf8.encode(row)));
        } finally {
            release();
        }
    }

    /** Every live row: [{"id": ..., "values": {...}}, ...]. */
    public String query(String table) {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbQuery(h, Utf8.encode(table)));
        } finally {
            release();
        }
    }

    public void remove(String table, String row) {
        long h = acquire();
        try {
            Native.dbRemove(h, Utf8.encode(table), Utf8.encode(row));
        } finally {
            release();
        }
    }

    public void restore(String table, String row) {
        long h = acquire();
        try {
            Native.dbRestore(h, Utf8.encode(table), Utf8.encode(row));
        } finally {
            release();
        }
    }

    /** Queues a server-authoritative command; returns its id. */
    public String submitCommand(String family, String name, String jsonArgs) {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbSubmitCommand(h, Utf8.encode(family), Utf8.encode(name),
                                                      Utf8.encode(jsonArgs)));
        } finally {
            release();
        }
    }

    public String commands() {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbCommands(h));
        } finally {
            release();
        }
    }

    public long pendingCount() {
        long h = acquire();
        try {
            return Native.dbPendingCount(h);
        } finally {
            release();
        }
    }

    public String conflicts() {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbConflicts(h));
        } finally {
            release();
        }
    }

    public void resolveConflict(String table, String row, String column, String jsonValue) {
        long h = acquire();
        try {
            Native.dbResolveConflict(h, Utf8.encode(table), Utf8.encode(row), Utf8.encode(column),
                                     Utf8.encode(jsonValue));
        } finally {
            release();
        }
    }

    public String rejected() {
        long h = acquire();
        try {
            return Utf8.decode(Native.dbRejected(h));
        } finally {
            release();
        }
    }

    public void dismissRejected(long id) {
        long h = acquire();
        try {
            Native.dbDismissRejected(h, id);
        } finally {
            release();
        }
    }

    /** Rotates the page key: a new 32-byte key for a raw-key replica, null for a passphrase one. */
    public void rekey(byte[] newKey) {
        long h = acquire();
        try {
            Native.dbRekey(h, newKey);
        } finally {
            release();
        }
    }

    public void changePassphrase(String oldPassphrase, String newPassphrase) {
        long h = acquire();
        try {
            Native.dbChangePassphrase(h, Utf8.encode(oldPassphrase), Utf8.encode(newPassphrase));
        } finally {
            release();
        }
    }

    /** Destroys the replica's files and keys; the Database is closed afterwards. */
    public void wipe() {
        long h = acquire();
        try {
            Native.dbWipe(h);
        } finally {
            release();
        }
        close();
    }

    /** Registers a change listener (called on the notification thread). Close the token. */
    public ListenerToken addListener(Listener listener) {
        if (listener == null) throw new NullPointerException("listener");
        long h = acquire();
        try {
            return new ListenerToken(Native.dbAddListener(h, new Native.ChangeBridge(listener)));
        } finally {
            release();
        }
    }

    /** Closes and frees the replica (stops a sync session). Idempotent. Not from a listener. */
    @Override
    public void close() {
        handle.closeAndFree(Native::dbClose, Native::dbFree);
    }
}
