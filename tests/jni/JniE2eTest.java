// SPDX-License-Identifier: Apache-2.0
// The end-to-end scenario from Java (label jni): a real zhibu-server child process on 127.0.0.1
// (dev certificate pin, two enrollment codes, ephemeral port); device A writes offline and syncs,
// device B enrolls, syncs, sees A's row (with an emoji) and hears it through its listener.
// Usage: java JniE2eTest <path to zhibu-server>
import cn.edu.zhibu.Database;
import cn.edu.zhibu.Listener;
import cn.edu.zhibu.ListenerToken;
import cn.edu.zhibu.Sync;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class JniE2eTest {
    static void check(boolean cond, String what) {
        if (!cond) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }

    static String firstLine(List<String> cmd, String prefix) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String found = null;
        try (BufferedReader r = new BufferedReader(
                 new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                if (found == null && line.startsWith(prefix)) found = line.substring(prefix.length());
            }
        }
        check(p.waitFor() == 0 && found != null, "command failed: " + cmd);
        return found;
    }

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) k[i] = (byte) (seed + i);
        return k;
    }

    public static void main(String[] args) throws Exception {
        String server = args[0];
        File dir = Files.createTempDirectory("zb-jni-e2e").toFile();
        String pin = firstLine(List.of(server, "dev-cert", "--out", dir + "/tls"),
                               "spki-sha256-pin: ");
        File cfg = new File(dir, "server.json");
        Files.writeString(cfg.toPath(),
            "{\"server_id\": \"jni-e2e\", \"listen\": {\"address\": \"127.0.0.1\", \"port\": 0},"
            + " \"tls\": {\"enabled\": true, \"cert\": \"tls/cert.pem\", \"key\": \"tls/key.pem\"},"
            + " \"data_dir\": \"data\", \"create_master_key\": true, \"threads\": 1,"
            + " \"schema\": {\"version\": 1, \"tables\": [{\"name\": \"meetings\","
            + " \"policy\": \"keep_both\", \"visibility\": \"org\"}]}}");
        String codeA = firstLine(List.of(server, "enroll-code", "--config", cfg.getPath(),
                                         "--person", "p-a", "--role", "branch_secretary",
                                         "--org", "/u/cs/b1"), "");
        String codeB = firstLine(List.of(server, "enroll-code", "--config", cfg.getPath(),
                                         "--person", "p-b", "--role", "member", "--org",
                                         "/u/cs/b1"), "");

        File log = new File(dir, "server.log");
        Process srv = new ProcessBuilder(server, "serve", "--config", cfg.getPath())
                          .redirectErrorStream(true).redirectOutput(log).start();
        try {
            int port = 0;
            for (int i = 0; i < 400 && port == 0; i++) {
                for (String line : Files.readAllLines(log.toPath())) {
                    int at = line.indexOf("listening on 127.0.0.1:");
                    if (at >= 0) port = Integer.parseInt(line.substring(at + 23).trim());
                }
                check(srv.isAlive(), "server exited early");
                if (port == 0) Thread.sleep(50);
            }
            check(port != 0, "server announced its port");

            String topic = "\u4e09\u4f1a\u4e00\u8bfe \uD83C\uDF89";
            try (Database a = Database.open(new File(dir, "a.db").getPath(), key(10));
                 Database b = Database.open(new File(dir, "b.db").getPath(), key(20))) {
                a.write("meetings", "mtg-1", "{\"org\":\"/u/cs/b1\",\"topic\":\"" + topic + "\"}");
                try (Sync sa = new Sync(a, new Sync.Config().server("127.0.0.1", port).pin(pin)
                                               .enrollCode(codeA).timeoutMs(20000))) {
                    sa.syncOnce();
                    check(a.pendingCount() == 0, "A pushed everything");
                }
                CountDownLatch heard = new CountDownLatch(1);
                try (ListenerToken t = b.addListener((table, row, origin) -> {
                         if (origin == Listener.REMOTE && row.equals("mtg-1")) heard.countDown();
                     });
                     Sync sb = new Sync(b, new Sync.Config().server("127.0.0.1", port).pin(pin)
                                               .enrollCode(codeB).timeoutMs(20000))) {
                    sb.syncOnce();
                    String row = b.read("meetings", "mtg-1");
                    check(row != null && row.contains(topic), "B sees A's row: " + row);
                    check(heard.await(10, TimeUnit.SECONDS), "B's listener heard the remote row");
                }
            }
        } finally {
            srv.destroy();  // SIGTERM: graceful shutdown
            if (!srv.waitFor(10, TimeUnit.SECONDS)) srv.destroyForcibly().waitFor();
        }
        System.out.println("JniE2eTest: ok");
    }
}
