/* SPDX-License-Identifier: Apache-2.0 */
/* End to end through the C ABI against a real zhibu-server on 127.0.0.1 (label capi): make a
 * dev certificate (its SPKI pin), two enrollment codes, start the server as a child process on
 * an ephemeral port, then device A writes offline and syncs, device B enrolls, syncs and sees
 * A's row. The server is stopped with SIGTERM at the end (and killed if the test fails).
 * Usage: capi_e2e <path to zhibu-server> */
#define _POSIX_C_SOURCE 200809L

#include "zb/zb.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t server_pid = -1;

static void stop_server(void) {
    int status = 0;
    int i;
    if (server_pid <= 0) return;
    kill(server_pid, SIGTERM);
    for (i = 0; i < 200; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
            server_pid = -1;
            return;
        }
        nanosleep(&ts, NULL);
    }
    kill(server_pid, SIGKILL);
    waitpid(server_pid, &status, 0);
    server_pid = -1;
}

static int die(const char* what, const zb_error* e) {
    fprintf(stderr, "capi_e2e: %s: %s %s\n", what, e ? zb_status_name(e->code) : "",
            e ? zb_error_message(e) : "");
    stop_server();
    return 1;
}

/* Runs a command and returns the first line of its output that starts with `prefix` (after the
 * prefix), or NULL. */
static int run_capture(const char* cmd, const char* prefix, char* out, size_t n) {
    char line[1024];
    int found = 0;
    FILE* p = popen(cmd, "r");
    if (p == NULL) return 0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (!found && strncmp(line, prefix, strlen(prefix)) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(out, n, "%s", line + strlen(prefix));
            found = 1;
        }
    }
    return pclose(p) == 0 && found;
}

static int wait_for_port(const char* log_path, unsigned* port) {
    int i;
    for (i = 0; i < 400; i++) {
        char line[512];
        struct timespec ts = {0, 50 * 1000 * 1000};
        FILE* f = fopen(log_path, "r");
        if (f != NULL) {
            while (fgets(line, sizeof line, f) != NULL) {
                const char* at = strstr(line, "listening on 127.0.0.1:");
                if (at != NULL && sscanf(at, "listening on 127.0.0.1:%u", port) == 1) {
                    fclose(f);
                    return 1;
                }
            }
            fclose(f);
        }
        if (waitpid(server_pid, NULL, WNOHANG) == server_pid) return 0;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static zb_db* open_device(const char* path, uint8_t seed, zb_error* e) {
    uint8_t key[ZB_KEY_BYTES];
    zb_db_config* cfg = NULL;
    zb_db* db = NULL;
    size_t i;
    for (i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(seed + i);
    if (zb_db_config_new(&cfg, e) != ZB_OK) return NULL;
    if (zb_db_config_set_path(cfg, zb_str_c(path), e) != ZB_OK ||
        zb_db_config_set_key(cfg, key, sizeof key, e) != ZB_OK ||
        zb_db_open(cfg, &db, e) != ZB_OK) {
        db = NULL;
    }
    zb_db_config_free(cfg);
    return db;
}

static zb_sync* session(zb_db* db, unsigned port, const char* pin, const char* code, zb_error* e) {
    zb_sync_config* cfg = NULL;
    zb_sync* sync = NULL;
    if (zb_sync_config_new(&cfg, e) != ZB_OK) return NULL;
    if (zb_sync_config_set_server(cfg, zb_str_c("127.0.0.1"), (uint16_t)port, e) != ZB_OK ||
        zb_sync_config_add_pin(cfg, zb_str_c(pin), e) != ZB_OK ||
        zb_sync_config_set_enroll_code(cfg, zb_str_c(code), e) != ZB_OK ||
        zb_sync_config_set_timeout(cfg, 20000, e) != ZB_OK ||
        zb_sync_new(db, cfg, &sync, e) != ZB_OK) {
        sync = NULL;
    }
    zb_sync_config_free(cfg);
    return sync;
}

int main(int argc, char** argv) {
    char dir[] = "/tmp/zb-capi-e2e-XXXXXX";
    char cmd[2048], cfg_path[512], log_path[512], pin[128], code_a[128], code_b[128], path[512];
    unsigned port = 0;
    zb_error e;
    zb_db* a;
    zb_db* b;
    zb_sync* sa;
    zb_sync* sb;
    zb_bytes out = {NULL, 0};
    int64_t pending = -1;
    FILE* f;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: capi_e2e <zhibu-server>\n");
        return 2;
    }
    if (mkdtemp(dir) == NULL) return 1;

    snprintf(cmd, sizeof cmd, "'%s' dev-cert --out '%s/tls'", argv[1], dir);
    if (!run_capture(cmd, "spki-sha256-pin: ", pin, sizeof pin)) return die("dev-cert", NULL);

    snprintf(cfg_path, sizeof cfg_path, "%s/server.json", dir);
    f = fopen(cfg_path, "w");
    if (f == NULL) return die("config", NULL);
    fprintf(f,
            "{\"server_id\": \"capi-e2e\", \"listen\": {\"address\": \"127.0.0.1\", \"port\": 0},\n"
            " \"tls\": {\"enabled\": true, \"cert\": \"tls/cert.pem\", \"key\": \"tls/key.pem\"},\n"
            " \"data_dir\": \"data\", \"create_master_key\": true, \"threads\": 1,\n"
            " \"schema\": {\"version\": 1, \"tables\": [\n"
            "   {\"name\": \"meetings\", \"policy\": \"keep_both\", \"visibility\": \"org\"}]}}\n");
    fclose(f);

    snprintf(cmd, sizeof cmd,
             "'%s' enroll-code --config '%s' --person p-a --role branch_secretary --org /u/cs/b1",
             argv[1], cfg_path);
    if (!run_capture(cmd, "", code_a, sizeof code_a)) return die("enroll-code A", NULL);
    snprintf(cmd, sizeof cmd,
             "'%s' enroll-code --config '%s' --person p-b --role member --org /u/cs/b1", argv[1],
             cfg_path);
    if (!run_capture(cmd, "", code_b, sizeof code_b)) return die("enroll-code B", NULL);

    snprintf(log_path, sizeof log_path, "%s/server.log", dir);
    server_pid = fork();
    if (server_pid < 0) return die("fork", NULL);
    if (server_pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(argv[1], argv[1], "serve", "--config", cfg_path, (char*)NULL);
        _exit(127);
    }
    if (!wait_for_port(log_path, &port)) return die("server did not start (see its log)", NULL);

    /* Device A writes while offline, then syncs (enrolls first). */
    snprintf(path, sizeof path, "%s/a.db", dir);
    a = open_device(path, 10, &e);
    if (a == NULL) return die("open A", &e);
    if (zb_db_write(
            a, zb_str_c("meetings"), zb_str_c("mtg-1"),
            zb_str_c("{\"org\":\"/u/cs/b1\",\"topic\":\"\xe4\xb8\x89\xe4\xbc\x9a\xe4\xb8\x80"
                     "\xe8\xaf\xbe \xf0\x9f\x8e\x89\"}"),
            &e) != ZB_OK) {
        return die("write A", &e);
    }
    sa = session(a, port, pin, code_a, &e);
    if (sa == NULL) return die("session A", &e);
    if (zb_sync_once(sa, &e) != ZB_OK) return die("sync A", &e);
    if (zb_db_pending_count(a, &pending, &e) != ZB_OK || pending != 0) {
        fprintf(stderr, "capi_e2e: A still has %lld pending changes\n", (long long)pending);
        rc = 1;
    }

    /* Device B enrolls, syncs and sees A's row. */
    snprintf(path, sizeof path, "%s/b.db", dir);
    b = open_device(path, 20, &e);
    if (b == NULL) return die("open B", &e);
    sb = session(b, port, pin, code_b, &e);
    if (sb == NULL) return die("session B", &e);
    if (zb_sync_once(sb, &e) != ZB_OK) return die("sync B", &e);
    if (zb_db_read(b, zb_str_c("meetings"), zb_str_c("mtg-1"), &out, &e) != ZB_OK) {
        return die("B reads A's row", &e);
    }
    if (strstr((const char*)out.data, "\xf0\x9f\x8e\x89") == NULL) {
        fprintf(stderr, "capi_e2e: unexpected row on B: %s\n", (const char*)out.data);
        rc = 1;
    }
    zb_bytes_free(&out);

    /* A wrong pin is refused before anything is sent. */
    {
        zb_sync* bad;
        zb_sync_free(sb);
        sb = NULL;
        bad = session(b, port, "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", code_b, &e);
        if (bad == NULL) return die("session with a wrong pin", &e);
        if (zb_sync_once(bad, &e) != ZB_ERR_PIN_MISMATCH) {
            fprintf(stderr, "capi_e2e: wrong pin gave %s\n", zb_status_name(e.code));
            rc = 1;
        }
        zb_sync_free(bad);
    }

    zb_sync_free(sa);
    zb_db_free(a);
    zb_db_free(b);
    stop_server();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (rc == 0 && system(cmd) != 0) rc = 1;
    if (rc == 0) printf("capi_e2e: ok (port %u)\n", port);
    return rc;
}
