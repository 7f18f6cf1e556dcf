/* SPDX-License-Identifier: Apache-2.0 */
/* The C ABI used from C, end to end on one device: configure, open an encrypted replica, write a
 * row (with a non-ASCII value and an embedded NUL), read it back, query, reopen with the same
 * key, reopen with a wrong key (ZB_ERR_CRYPTO), close and free. Exits non-zero on the first
 * failed check; run by CTest (label capi). */
#define _POSIX_C_SOURCE 200809L

#include "zb/zb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

#define CHECK_OK(call)                                                                           \
    do {                                                                                         \
        zb_status s_ = (call);                                                                   \
        if (s_ != ZB_OK) {                                                                       \
            fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #call, zb_status_name(s_)); \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

static zb_db* open_db(const char* path, const uint8_t* key, zb_error* err) {
    zb_db_config* cfg = NULL;
    zb_db* db = NULL;
    if (zb_db_config_new(&cfg, err) != ZB_OK) return NULL;
    if (zb_db_config_set_path(cfg, zb_str_c(path), err) == ZB_OK &&
        zb_db_config_set_key(cfg, key, ZB_KEY_BYTES, err) == ZB_OK) {
        if (zb_db_open(cfg, &db, err) != ZB_OK) db = NULL;
    }
    zb_db_config_free(cfg);
    return db;
}

int main(void) {
    char dir[] = "/tmp/zb-capi-smoke-XXXXXX";
    char path[512];
    uint8_t key[ZB_KEY_BYTES];
    uint8_t wrong[ZB_KEY_BYTES];
    zb_error err;
    zb_db* db;
    zb_bytes out = {NULL, 0};
    /* "主题 🎉" then a NUL then "x": JSON escapes the NUL as \u0000. */
    static const char values[] =
        "{\"topic\":\"\xe4\xb8\xbb\xe9\xa2\x98 \xf0\x9f\x8e\x89\\u0000x\","
        "\"expected_count\":12,\"org\":\"u/c1/b1\"}";
    static const char expected_topic[] =
        "\"topic\":\"\xe4\xb8\xbb\xe9\xa2\x98 \xf0\x9f\x8e\x89\\u0000x\"";
    size_t i;

    for (i = 0; i < ZB_KEY_BYTES; i++) {
        key[i] = (uint8_t)(i * 7 + 1);
        wrong[i] = (uint8_t)(i * 7 + 2);
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/replica.db", dir);

    db = open_db(path, key, &err);
    if (db == NULL) {
        fprintf(stderr, "open failed: %s %s\n", zb_status_name(err.code), zb_error_message(&err));
        return 1;
    }
    CHECK(err.code == ZB_OK && err.message[0] == '\0');

    CHECK_OK(zb_db_write(db, zb_str_c("meetings"), zb_str_c("m-1"), zb_str_c(values), &err));
    CHECK_OK(zb_db_read(db, zb_str_c("meetings"), zb_str_c("m-1"), &out, &err));
    CHECK(out.data != NULL && out.size > 0);
    if (out.data != NULL) {
        CHECK(strstr((const char*)out.data, expected_topic) != NULL);
        CHECK(strstr((const char*)out.data, "\"expected_count\":12") != NULL);
    }
    zb_bytes_free(&out);
    CHECK(out.data == NULL && out.size == 0);

    CHECK_OK(zb_db_query(db, zb_str_c("meetings"), &out, &err));
    CHECK(out.data != NULL && strstr((const char*)out.data, "\"id\":\"m-1\"") != NULL);
    zb_bytes_free(&out);

    CHECK(zb_db_read(db, zb_str_c("meetings"), zb_str_c("nope"), &out, &err) == ZB_ERR_NOT_FOUND);
    CHECK(err.code == ZB_ERR_NOT_FOUND && out.data == NULL);

    CHECK_OK(zb_db_close(db, &err));
    CHECK(zb_db_read(db, zb_str_c("meetings"), zb_str_c("m-1"), &out, &err) == ZB_ERR_CLOSED);
    zb_db_free(db);

    /* A wrong key is refused with the opaque crypto error. */
    db = open_db(path, wrong, &err);
    CHECK(db == NULL);
    CHECK(err.code == ZB_ERR_CRYPTO);
    zb_db_free(db);

    /* The right key still opens it and the data is there. */
    db = open_db(path, key, &err);
    CHECK(db != NULL);
    if (db != NULL) {
        CHECK_OK(zb_db_read(db, zb_str_c("meetings"), zb_str_c("m-1"), &out, &err));
        zb_bytes_free(&out);
        CHECK_OK(zb_db_wipe(db, &err));
        zb_db_free(db);
    }
    rmdir(dir);

    if (failures != 0) {
        fprintf(stderr, "capi_smoke: %d check(s) failed\n", failures);
        return 1;
    }
    printf("capi_smoke: ok\n");
    return 0;
}
