// SPDX-License-Identifier: Apache-2.0
// A registered listener (zb_listener). close() removes it: the callback does not start again,
// and the native side drops its global reference to the listener once no call is running.
package cn.edu.zhibu;

public final class ListenerToken implements AutoCloseable {
    private long token;

    ListenerToken(long token) { this.token = token; }

    @Override
    public synchronized void close() {
        if (token != 0) {
            Native.listenerRemove(token);
            token = 0;
        }
    }
}
