/* SPDX-License-Identifier: Apache-2.0 */
/* Proves that the public C ABI is plain C99: this file includes the umbrella header and touches
 * every public type, and is compiled with -std=c99 -pedantic -Werror (see CMakeLists.txt). It
 * also runs, checking that the library it links against was built from the same header
 * (zb_api_version() == ZB_API_VERSION) and that the base helpers behave. */
#include "zb/zb.h"

#include <stdio.h>

static void on_change(void* userdata, zb_str table, zb_str row, zb_change_origin origin) {
    (void)userdata;
    (void)table;
    (void)row;
    (void)origin;
}

static void on_status(void* userdata, const zb_sync_status_info* status) {
    (void)userdata;
    (void)status;
}

static void on_progress(void* userdata, int64_t done, int64_t total) {
    (void)userdata;
    (void)done;
    (void)total;
}

int main(void) {
    zb_change_fn change_fn = on_change;
    zb_sync_status_fn status_fn = on_status;
    zb_sync_progress_fn progress_fn = on_progress;
    zb_transport transport;
    zb_sync_status_info info;
    zb_bytes bytes;
    zb_error err;
    zb_str s = zb_str_c("abc");
    zb_status st = ZB_OK;
    zb_sync_state state = ZB_SYNC_STOPPED;
    zb_change_origin origin = ZB_CHANGE_LOCAL;

    (void)change_fn;
    (void)status_fn;
    (void)progress_fn;
    (void)state;
    (void)origin;
    memset(&transport, 0, sizeof transport);
    memset(&info, 0, sizeof info);
    bytes.data = NULL;
    bytes.size = 0;
    zb_bytes_free(&bytes);

    if (zb_api_version() != ZB_API_VERSION) {
        fprintf(stderr, "header/library API version mismatch: %d vs %d\n", (int)zb_api_version(),
                ZB_API_VERSION);
        return 1;
    }
    if (zb_key_bytes() != ZB_KEY_BYTES || s.size != 3) return 1;
    st = zb_db_config_new(NULL, &err);
    if (st != ZB_ERR_MISUSE || err.code != ZB_ERR_MISUSE || zb_error_message(&err)[0] == '\0') {
        return 1;
    }
    printf("zhibu %s, C API %d\n", zb_version(), (int)zb_api_version());
    return 0;
}
