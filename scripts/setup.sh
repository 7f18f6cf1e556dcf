#!/usr/bin/env bash
# Installs every Debian package Zhibu needs to build, test, benchmark and fuzz.
# Idempotent: packages already present are skipped; nothing is downloaded from outside Debian.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev sqlite3
  libsodium-dev
  zlib1g-dev              # per-message compression of large protocol messages
  libboost-dev            # Asio and Beast (header-only in Boost 1.74)
  libssl-dev openssl      # TLS for the server and the client transport
  nlohmann-json3-dev
  catch2                  # v2: <catch2/catch.hpp>
  libbenchmark-dev
  clang-14 libclang-rt-14-dev   # libFuzzer and clang sanitizers
  clang-format-14
  openjdk-17-jdk-headless # JNI bindings and their tests
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
