#!/bin/sh
# Installs what is missing (Debian packages), then autoreconf, configure and
# build in BUILD_DIR (default build/). Run as root on a fresh Debian machine.
# Environment: BUILD_DIR, CONFIGURE_FLAGS (passed to configure), CC.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

packages="build-essential autoconf automake libtool pkg-config
 libetpan-dev libunistring-dev libssl-dev openssl libxml2-dev libxml2-utils libsqlite3-dev sqlite3
 libcmocka-dev libzip-dev libseccomp-dev libsystemd-dev libsasl2-modules
 dovecot-core dovecot-imapd python3 python3-aiosmtpd
 clang libclang-rt-14-dev libpcre2-dev libhyperscan-dev"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing (run as root to install them)" >&2
		exit 2
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Services installed here must not start: the lab runs its own servers.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] || [ "${RECONFIGURE:-0}" = 1 ]; then
	# shellcheck disable=SC2086
	"$top/configure" -q ${CONFIGURE_FLAGS:-}
fi
make -j"$(nproc)" >/dev/null
echo "setup: built in $build"
