// SPDX-License-Identifier: Apache-2.0
// The native methods, registered by JNI_OnLoad in libzhibu_jni (RegisterNatives, so the library
// exports nothing but JNI_OnLoad). Strings are UTF-8 byte[]; handles are jlong; failures throw
// ZhibuException. Package-private: the public API is Database, Sync and their helpers.
package cn.edu.zhibu;

final class Native {
    private Native() {}

    static {
        System.loadLibrary("zhibu_jni");
    }

    static native byte[] version();
    static native int apiVersion();
    static native byte[] statusName(int code);

    // db
    static native long dbOpen(byte[] path, byte[] key, byte[] passphrase);
    static native void dbClose(long db);
    static native void dbFree(long db);
    static native void dbRekey(long db, byte[] newKey);
    static native void dbChangePassphrase(long db, byte[] oldPass, byte[] newPass);
    static native void dbWipe(long db);
    static native void dbWrite(long db, byte[] table, byte[] row, byte[] json);
    static native void dbIncrement(long db, byte[] table, byte[] row, byte[] column, long delta);
    static native byte[] dbRead(long db, byte[] table, byte[] row);  // null when not found
    static native byte[] dbQuery(long db, byte[] table);
    static native void dbRemove(long db, byte[] table, byte[] row);
    static native void dbRestore(long db, byte[] table, byte[] row);
    static native byte[] dbSubmitCommand(long db, byte[] family, byte[] name, byte[] json);
    static native byte[] dbCommands(long db);
    static native long dbPendingCount(long db);
    static native byte[] dbConflicts(long db);
    static native void dbResolveConflict(long db, byte[] table, byte[] row, byte[] column,
                                         byte[] json);
    static native byte[] dbRejected(long db);
    static native void dbDismissRejected(long db, long id);
    static native long dbAddListener(long db, ChangeBridge bridge);
    static native void listenerRemove(long token);

    // sync
    static native long syncNew(long db, byte[] host, int port, byte[][] pins, byte[] enrollCode,
                               byte[] deviceName, boolean plaintext, long timeoutMs);
    static native void syncFree(long sync);
    static native void syncOnce(long sync);
    static native void syncStart(long sync);
    static native void syncStop(long sync);
    static native SyncStatus syncStatus(long sync);
    static native long syncAddStatusListener(long sync, StatusBridge bridge);
    static native long syncAddProgressListener(long sync, ProgressBridge bridge);

    /** Receives zb_change_fn calls (UTF-8 in) and forwards them to the user's Listener. */
    static final class ChangeBridge {
        private final Listener listener;
        ChangeBridge(Listener l) { listener = l; }
        void onChange(byte[] table, byte[] row, int origin) {
            listener.onChange(Utf8.decode(table), Utf8.decode(row), origin);
        }
    }

    static final class StatusBridge {
        private final Sync.StatusListener listener;
        StatusBridge(Sync.StatusListener l) { listener = l; }
        void onStatus(SyncStatus status) { listener.onStatus(status); }
    }

    static final class ProgressBridge {
        private final Sync.ProgressListener listener;
        ProgressBridge(Sync.ProgressListener l) { listener = l; }
        void onProgress(long done, long total) { listener.onProgress(done, total); }
    }
}
