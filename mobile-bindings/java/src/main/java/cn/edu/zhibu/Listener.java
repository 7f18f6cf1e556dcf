// SPDX-License-Identifier: Apache-2.0
// A change listener (zb_change_fn). Called on the replica's notification thread, never on the
// caller's or the sync thread; it may read and write the Database, must not close it, and should
// hand longer work to another thread (post to the main looper, a coroutine, a queue).
package cn.edu.zhibu;

@FunctionalInterface
public interface Listener {
    int LOCAL = 0;     // written on this device
    int REMOTE = 1;    // applied from the server
    int REJECTED = 2;  // a local change was rejected; the row went back

    void onChange(String table, String row, int origin);
}
