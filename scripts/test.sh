#!/bin/sh
# The test command: sets up everything on a fresh Debian machine (as root),
# builds with clang under AddressSanitizer and UndefinedBehaviorSanitizer
# (libFuzzer targets included) and runs every test: unit tests, the sample
# messages, the fuzz corpora, and the integration tests against a throw-away
# mail lab on 127.0.0.1. Then a plain build runs "make distcheck" (unit
# tests only) to prove the tarball builds, tests and installs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)

BUILD_DIR="$top/build-asan" CC=clang \
CONFIGURE_FLAGS="--enable-sanitizers CC=clang" RECONFIGURE=1 "$top/scripts/setup.sh"

cd "$top/build-asan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if ! make -j"$(nproc)" check; then
	# The harness collects the logs of every failed test here.
	cat test-suite.log
	exit 1
fi

BUILD_DIR="$top/build" RECONFIGURE=1 "$top/scripts/setup.sh"
cd "$top/build"
MG_LAB=0 make -j"$(nproc)" distcheck >distcheck.log 2>&1 || { tail -n 80 distcheck.log; exit 1; }
echo "distcheck: the tarball builds, tests and installs"
echo "all tests passed in $(( $(date +%s) - start )) s"
