/* SPDX-License-Identifier: Apache-2.0 */
/* Zhibu C ABI umbrella header: include this one file. The ABI is C99, exported from libzhibu as
 * zb_* symbols only; conventions are listed at the top of zb_base.h, the replica API is in
 * zb_db.h and sync in zb_sync.h. Swift and Clang modules import it as `Zhibu`
 * (module.modulemap). */
#ifndef ZB_H
#define ZB_H

#include "zb_base.h"
#include "zb_db.h"
#include "zb_sync.h"

#endif /* ZB_H */
