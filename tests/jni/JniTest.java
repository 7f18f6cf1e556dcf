// SPDX-License-Identifier: Apache-2.0
// The JNI binding driven from Java on the build machine's JDK (label jni): open/write/read/close
// with an emoji and an embedded NUL surviving the round trip, a listener round trip, errors
// becoming ZhibuException with the right code, and closed handles refused. Plain main with
// checks; exits non-zero on the first failure.
import cn.edu.zhibu.Database;
import cn.edu.zhibu.ListenerToken;
import cn.edu.zhibu.Status;
import cn.edu.zhibu.Sync;
import cn.edu.zhibu.SyncStatus;
import cn.edu.zhibu.ZhibuException;
import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

public final class JniTest {
    static void check(boolean cond, String what) {
        if (!cond) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }

    interface Body {
        void run();
    }

    static ZhibuException expectError(int code, Body body) {
        try {
            body.run();
        } catch (ZhibuException e) {
            check(e.code() == code, "expected " + Status.name(code) + ", got " + e.getMessage());
            return e;
        }
        check(false, "expected " + Status.name(code) + " but nothing was thrown");
        return null;
    }

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) k[i] = (byte) (seed + i * 13);
        return k;
    }

    public static void main(String[] args) throws Exception {
        File dir = Files.createTempDirectory("zb-jni").toFile();
        String path = new File(dir, "replica.db").getPath();
        // "党课 🎉" + NUL + "end": modified UTF-8 would mangle both the emoji and the NUL.
        String topic = "\u515a\u8bfe \uD83C\uDF89\u0000end";
        String json = "{\"topic\":\"\u515a\u8bfe \uD83C\uDF89\\u0000end\",\"expected_count\":3}";

        System.out.println("library " + Database.libraryVersion());
        try (Database db = Database.open(path, key(1))) {
            CountDownLatch heard = new CountDownLatch(1);
            AtomicReference<String> heardRow = new AtomicReference<>();
            ListenerToken token = db.addListener((table, row, origin) -> {
                if (origin == cn.edu.zhibu.Listener.LOCAL) {
                    heardRow.set(table + "/" + row);
                    heard.countDown();
                }
            });
            String rowId = "m-\uD83D\uDE00";  // an emoji in the row id as well
            db.write("meetings", rowId, json);
            check(heard.await(10, TimeUnit.SECONDS), "listener was called");
            check(("meetings/" + rowId).equals(heardRow.get()), "listener saw the row id intact");
            token.close();
            token.close();  // idempotent

            String back = db.read("meetings", rowId);
            check(back != null, "row read back");
            check(back.contains("\"topic\":\"\u515a\u8bfe \uD83C\uDF89\\u0000end\""),
                  "emoji and NUL survived: " + back);
            check(db.read("meetings", "missing") == null, "missing row reads as null");
            check(db.query("meetings").contains(rowId), "query lists the row");
            check(db.pendingCount() >= 1, "the write is pending");
            check(topic.length() == 9, "test string as intended");

            ZhibuException e = expectError(Status.UNKNOWN_TABLE,
                                           () -> db.write("no_such_table", "r", "{\"a\":1}"));
            check(e.getMessage().contains("ZB_ERR_UNKNOWN_TABLE"), "message names the code");
            expectError(Status.INVALID_ARGUMENT, () -> db.write("meetings", "r", "{bad json"));
            expectError(Status.NOT_FOUND, () -> db.dismissRejected(123456));

            // Sync to a port where nothing listens: a clear network error, not a hang.
            Sync.Config cfg = new Sync.Config().server("127.0.0.1", 9).plaintext(true)
                                  .enrollCode("NO-SERVER").timeoutMs(5000);
            try (Sync sync = new Sync(db, cfg)) {
                expectError(Status.NETWORK, sync::syncOnce);
                SyncStatus st = sync.status();
                check(st.lastErrorCode == Status.NETWORK, "status keeps the error: " + st);
            }
        }

        // Wrong key.
        expectError(Status.CRYPTO, () -> Database.open(path, key(2)).close());

        // A closed Database refuses calls with CLOSED.
        Database db = Database.open(path, key(1));
        db.close();
        db.close();
        expectError(Status.CLOSED, () -> db.read("meetings", "x"));

        Database.open(path, key(1)).wipe();
        check(!new File(path).exists(), "wipe removed the file");
        dir.delete();
        System.out.println("JniTest: ok");
    }
}
