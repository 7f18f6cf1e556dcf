// SPDX-License-Identifier: Apache-2.0
// Keeps a native handle valid while calls are in flight. Every call acquires (fails with
// Status.CLOSED once closing started) and releases; closeAndFree() closes the native object,
// waits for in-flight calls to return, then frees it, so no call ever sees a freed pointer.
// Callbacks that call back during close get CLOSED instead of blocking the close.
package cn.edu.zhibu;

import java.util.function.LongConsumer;

final class NativeHandle {
    private final long ptr;
    private int inFlight;
    private boolean closing;

    NativeHandle(long ptr) { this.ptr = ptr; }

    synchronized long acquire() {
        if (closing) throw new ZhibuException(Status.CLOSED, 0, 0, "the handle is closed");
        inFlight++;
        return ptr;
    }

    synchronized void release() {
        inFlight--;
        if (inFlight == 0) notifyAll();
    }

    /** Returns false if already closed. `close` runs first (may throw), `free` always runs. */
    boolean closeAndFree(LongConsumer close, LongConsumer free) {
        synchronized (this) {
            if (closing) return false;
            closing = true;
        }
        try {
            close.accept(ptr);
        } finally {
            synchronized (this) {
                boolean interrupted = false;
                while (inFlight > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) Thread.currentThread().interrupt();
            }
            free.accept(ptr);
        }
        return true;
    }
}
