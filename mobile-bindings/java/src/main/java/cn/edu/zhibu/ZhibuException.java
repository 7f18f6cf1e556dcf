// SPDX-License-Identifier: Apache-2.0
// The exception every failed zb_* call becomes on the JVM: the zb_status code (see Status), the
// detail and flags of zb_error, and its UTF-8 message. Unchecked, so Kotlin and Java lambdas
// (listeners) need no throws clauses.
package cn.edu.zhibu;

public final class ZhibuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Retry hints (zb_error.flags). */
    public static final int FLAG_TRANSIENT = 0x1;
    public static final int FLAG_NETWORK_DEPENDENT = 0x2;
    public static final int FLAG_RESET_REQUIRED = 0x4;

    private final int code;
    private final int detail;
    private final int flags;

    public ZhibuException(int code, int detail, int flags, String message) {
        super(Status.name(code) + ": " + message);
        this.code = code;
        this.detail = detail;
        this.flags = flags;
    }

    /** Called from the JNI glue: the message arrives as UTF-8 bytes. */
    static ZhibuException fromNative(int code, int detail, int flags, byte[] message) {
        return new ZhibuException(code, detail, flags, Utf8.decode(message));
    }

    /** The zb_status code (Status.*). */
    public int code() { return code; }
    /** SQLite extended code, errno or wire error code; 0 if none. */
    public int detail() { return detail; }
    public int flags() { return flags; }
    public boolean isTransient() { return (flags & FLAG_TRANSIENT) != 0; }
}
