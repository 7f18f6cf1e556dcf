/* SPDX-License-Identifier: Apache-2.0 */
/* Stands in for "Swift can import the C ABI" on a machine without a Swift toolchain: Clang
 * imports client-core/include/zb/module.modulemap as the module Zhibu and type-checks a use of
 * it (clang-14 -fmodules -fsyntax-only -x objective-c; see CMakeLists.txt). */
@import Zhibu;

static void on_change(void *_Nullable userdata, zb_str table, zb_str row, zb_change_origin origin) {
    (void)userdata;
    (void)table;
    (void)row;
    (void)origin;
}

int main(void) {
    zb_error err;
    zb_db_config *_Nullable cfg = NULL;
    zb_change_fn fn = on_change;
    (void)fn;
    if (zb_db_config_new(&cfg, &err) != ZB_OK) return 1;
    zb_db_config_free(cfg);
    return zb_api_version() == ZB_API_VERSION ? 0 : 1;
}
