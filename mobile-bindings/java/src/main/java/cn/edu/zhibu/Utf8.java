// SPDX-License-Identifier: Apache-2.0
// Strings cross JNI as UTF-8 byte arrays, never through GetStringUTFChars/NewStringUTF, whose
// "modified UTF-8" mangles U+0000 and characters outside the BMP (emoji). These two helpers are
// the only conversions.
package cn.edu.zhibu;

import java.nio.charset.StandardCharsets;

final class Utf8 {
    private Utf8() {}

    static byte[] encode(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    static String decode(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
