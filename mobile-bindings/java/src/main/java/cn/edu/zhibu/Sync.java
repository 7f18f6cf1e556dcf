// SPDX-License-Identifier: Apache-2.0
// A sync session (zb_sync) for one Database: one-shot sync (blocking; call it from a worker),
// live sync on the library's own thread, stop, status, and status/progress listeners (called on
// the replica's notification thread). Build it with Sync.Config; close() frees it.
package cn.edu.zhibu;

import java.util.ArrayList;
import java.util.List;

public final class Sync implements AutoCloseable {
    @FunctionalInterface
    public interface StatusListener {
        void onStatus(SyncStatus status);
    }

    @FunctionalInterface
    public interface ProgressListener {
        void onProgress(long done, long total);
    }

    /** The server and how to trust it. */
    public static final class Config {
        String host;
        int port;
        final List<String> pins = new ArrayList<>();
        String enrollCode;
        String deviceName;
        boolean plaintext;
        long timeoutMs = 30000;

        public Config server(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }
        /** SHA-256 of the server's SubjectPublicKeyInfo, base64 (optionally "sha256/..."). */
        public Config pin(String pin) {
            pins.add(pin);
            return this;
        }
        public Config enrollCode(String code) {
            enrollCode = code;
            return this;
        }
        public Config deviceName(String name) {
            deviceName = name;
            return this;
        }
        /** ws:// without TLS; accepted for loopback hosts only (tests, development). */
        public Config plaintext(boolean on) {
            plaintext = on;
            return this;
        }
        public Config timeoutMs(long ms) {
            timeoutMs = ms;
            return this;
        }
    }

    private final Database db;
    private final NativeHandle handle;

    public Sync(Database db, Config config) {
        this.db = db;
        byte[][] pins = new byte[config.pins.size()][];
        for (int i = 0; i < pins.length; i++) pins[i] = Utf8.encode(config.pins.get(i));
        long h = db.acquire();
        try {
            handle = new NativeHandle(Native.syncNew(
                h, Utf8.encode(config.host), config.port, pins, Utf8.encode(config.enrollCode),
                Utf8.encode(config.deviceName), config.plaintext, config.timeoutMs));
        } finally {
            db.release();
        }
    }

    public Database database() { return db; }

    /** Connects, enrolls if needed, pushes and pulls everything, disconnects. Blocks. */
    public void syncOnce() {
        long h = handle.acquire();
        try {
            Native.syncOnce(h);
        } finally {
            handle.release();
        }
    }

    /** Starts live sync on the library's thread; returns at once. */
    public void start() {
        long h = handle.acquire();
        try {
            Native.syncStart(h);
        } finally {
            handle.release();
        }
    }

    public void stop() {
        long h = handle.acquire();
        try {
            Native.syncStop(h);
        } finally {
            handle.release();
        }
    }

    public SyncStatus status() {
        long h = handle.acquire();
        try {
            return Native.syncStatus(h);
        } finally {
            handle.release();
        }
    }

    public ListenerToken addStatusListener(StatusListener l) {
        if (l == null) throw new NullPointerException("listener");
        long h = handle.acquire();
        try {
            return new ListenerToken(Native.syncAddStatusListener(h, new Native.StatusBridge(l)));
        } finally {
            handle.release();
        }
    }

    public ListenerToken addProgressListener(ProgressListener l) {
        if (l == null) throw new NullPointerException("listener");
        long h = handle.acquire();
        try {
            return new ListenerToken(
                Native.syncAddProgressListener(h, new Native.ProgressBridge(l)));
        } finally {
            handle.release();
        }
    }

    /** Stops the session and frees it. Idempotent. Not from a listener. */
    @Override
    public void close() {
        handle.closeAndFree(p -> {
            try {
                Native.syncStop(p);
            } catch (ZhibuException closedDatabase) {
                // the Database was closed first: the session is already stopped
            }
        }, Native::syncFree);
    }
}
