// SPDX-License-Identifier: Apache-2.0
// A snapshot of a sync session (zb_sync_status_info): state, the last failure, pull progress,
// changes waiting to be acknowledged, and when the last sync succeeded. Immutable.
package cn.edu.zhibu;

public final class SyncStatus {
    public static final int STOPPED = 0;
    public static final int CONNECTING = 1;
    public static final int SYNCING = 2;
    public static final int LIVE = 3;
    public static final int OFFLINE = 4;
    public static final int FAILED = 5;

    public final int state;
    public final int lastErrorCode;  // Status.OK if none
    public final String lastErrorMessage;
    public final long done;
    public final long total;
    public final long pending;
    public final long lastSyncMs;

    SyncStatus(int state, int lastErrorCode, byte[] lastErrorMessage, long done, long total,
               long pending, long lastSyncMs) {
        this.state = state;
        this.lastErrorCode = lastErrorCode;
        this.lastErrorMessage = Utf8.decode(lastErrorMessage);
        this.done = done;
        this.total = total;
        this.pending = pending;
        this.lastSyncMs = lastSyncMs;
    }

    @Override
    public String toString() {
        return "SyncStatus{state=" + state + ", lastError=" + Status.name(lastErrorCode) + " "
            + lastErrorMessage + ", done=" + done + "/" + total + ", pending=" + pending + "}";
    }
}
