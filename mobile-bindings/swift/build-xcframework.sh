#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Zhibu.xcframework (libzhibu for iOS device, iOS simulator and macOS, with the C headers
# and module.modulemap) for Package.swift. Needs macOS with Xcode and CMake, plus SQLite,
# libsodium, Boost and OpenSSL built for each Apple target (aesthetics.md §9: vendored sources;
# not decided yet). It cannot run on the Linux build machine and has not been run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/mobile-bindings/swift
: "${ZB_APPLE_DEPS:?set ZB_APPLE_DEPS to a prefix holding the per-platform dependency builds}"
for plat in iphoneos iphonesimulator macosx; do
  cmake -S "$ROOT" -B "build-apple-$plat" -G Xcode \
    -DCMAKE_SYSTEM_NAME="$([ $plat = macosx ] && echo Darwin || echo iOS)" \
    -DCMAKE_OSX_SYSROOT=$plat -DCMAKE_PREFIX_PATH="$ZB_APPLE_DEPS/$plat" \
    -DZB_BUILD_TESTS=OFF -DZB_BUILD_BENCH=OFF
  cmake --build "build-apple-$plat" --config Release --target zhibu
done
rm -rf "$OUT/Zhibu.xcframework"
args=()
for plat in iphoneos iphonesimulator macosx; do
  args+=(-library "build-apple-$plat/client-core/capi/Release/libzhibu.dylib"
         -headers "$ROOT/client-core/include/zb")
done
xcodebuild -create-xcframework "${args[@]}" -output "$OUT/Zhibu.xcframework"
