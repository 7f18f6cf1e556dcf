// SPDX-License-Identifier: Apache-2.0
// The zb_status codes of zb_base.h as Java constants (Kotlin and Java cannot read C macros).
// Values never change; the enum on the C side is open, so unknown codes may appear.
package cn.edu.zhibu;

public final class Status {
    private Status() {}

    public static final int OK = 0;
    public static final int INVALID_ARGUMENT = 100;
    public static final int MISUSE = 101;
    public static final int CLOSED = 102;
    public static final int NOT_FOUND = 103;
    public static final int UNSUPPORTED = 104;
    public static final int BUSY = 105;
    public static final int NO_MEMORY = 106;
    public static final int CANCELLED = 107;
    public static final int STORAGE = 200;
    public static final int DISK_FULL = 201;
    public static final int CORRUPT = 202;
    public static final int IO = 203;
    public static final int CRYPTO = 300;
    public static final int WIPED = 301;
    public static final int NETWORK = 400;
    public static final int TLS = 401;
    public static final int PIN_MISMATCH = 402;
    public static final int PROTOCOL = 403;
    public static final int TIMEOUT = 404;
    public static final int VERSION = 405;
    public static final int SERVER = 406;
    public static final int AUTH = 500;
    public static final int ENROLL_CODE = 501;
    public static final int REVOKED = 502;
    public static final int NOT_ENROLLED = 503;
    public static final int FORBIDDEN = 600;
    public static final int UNKNOWN_TABLE = 601;
    public static final int TYPE_MISMATCH = 602;
    public static final int RULE = 603;
    public static final int READ_ONLY = 604;
    public static final int CONFLICT = 605;
    public static final int INTERNAL = 900;

    /** The C name of a code ("ZB_ERR_CLOSED"), from the library itself. */
    public static String name(int code) {
        return Utf8.decode(Native.statusName(code));
    }
}
