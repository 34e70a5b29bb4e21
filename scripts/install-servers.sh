#!/usr/bin/env bash
# Installs the servers CI tests on (Redis 6.0, 8.0, 8.6, Valkey 8.1, Valkey 9) into a cache
# folder, from Debian's archive only, without touching the system's apt sources or dpkg state:
# a side apt configuration per suite, `apt-get download`, `dpkg -x` (DESIGN.md §7).
#
#   scripts/install-servers.sh [CACHE_DIR]     (default: $SERVERS_CACHE or ~/.cache/stream-reclaimer/servers)
#
# Writes one wrapper per server, CACHE_DIR/bin/{redis-6.0,redis-8.0,redis-8.6,valkey-8.1,valkey-9}, that
# runs like `redis-server` (REDIS_SERVER_BIN=CACHE_DIR/bin/redis-6.0 npm test). Idempotent: a
# server whose wrapper already answers with the expected version is left alone.
set -euo pipefail

CACHE=${1:-${SERVERS_CACHE:-$HOME/.cache/stream-reclaimer/servers}}
mkdir -p "$CACHE/bin"
CACHE=$(cd "$CACHE" && pwd)
ARCH_LIB=usr/lib/x86_64-linux-gnu

# The machine's own Debian mirror (the one its apt sources name): no mirror of our own, so the
# repository never names a host the machine was not set up to reach.
mirror=${DEBIAN_MIRROR:-$(grep -rhsE '^(URIs:|deb) ' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
  grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)}
if [ -z "$mirror" ]; then
  echo "install-servers: found no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/;" \
    "set DEBIAN_MIRROR to the mirror this machine uses (the URL whose suites include bookworm)" >&2
  exit 1
fi

side_apt() { # side_apt SUITE apt-get|apt-cache ARGS...: apt on SUITE only, state kept in the cache
  local suite=$1 tool=$2 dir="$CACHE/apt/$1"
  shift 2
  "$tool" -q -o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" \
    -o Dir::State::status="$dir/status" -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" "$@"
}

prepare_suite() { # one apt-get update per suite per install
  local suite=$1 dir="$CACHE/apt/$1"
  [ -f "$dir/updated" ] && return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  : >"$dir/status" # no installed packages: the suite's own versions are the candidates
  local suites=$suite
  # experimental holds only what differs from sid: sid supplies the libraries (apt's default
  # priority for experimental is 1, so a plain name resolves to sid, `pkg/experimental` to it).
  [ "$suite" = experimental ] && suites="sid experimental"
  local s
  for s in $suites; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
  done >"$dir/sources.list"
  side_apt "$suite" apt-get update >/dev/null
  touch "$dir/updated"
}

# install NAME SUITE EXPECTED_VERSION_REGEX LOADER(yes|no) PACKAGE... -- the first package holds
# the server (its *-check-rdb binary is the server; it checks argv[0]), the others its libraries.
install() {
  local name=$1 suite=$2 expect=$3 loader=$4
  shift 4
  local wrapper="$CACHE/bin/$name" root="$CACHE/$name"
  if [ -x "$wrapper" ] && "$wrapper" --version 2>/dev/null | grep -qE "v=$expect"; then
    echo "$name: already installed ($("$wrapper" --version | grep -oE 'v=[^ ]+'))"
    return 0
  fi
  prepare_suite "$suite"
  local debs="$CACHE/debs/$name"
  rm -rf "$debs" "$root"
  mkdir -p "$debs" "$root"
  (cd "$debs" && side_apt "$suite" apt-get download "$@" >/dev/null)
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$root"; done
  rm -rf "$debs"

  local server
  server=$(ls "$root"/usr/bin/*-check-rdb | head -n 1)
  local argv0=redis-server
  [[ $server == */valkey-check-rdb ]] && argv0=valkey-server
  {
    echo '#!/usr/bin/env bash'
    echo "# $name from Debian $suite (scripts/install-servers.sh). exec: the caller's pid is the server's."
    if [ "$loader" = yes ]; then
      # Built for glibc >= 2.38: run it with its own suite's loader and libraries.
      echo "exec '$root/$ARCH_LIB/ld-linux-x86-64.so.2' --argv0 $argv0 --library-path '$root/$ARCH_LIB:$root/lib/x86_64-linux-gnu:/$ARCH_LIB:/lib/x86_64-linux-gnu' '$server' \"\$@\""
    else
      echo "LD_LIBRARY_PATH='$root/$ARCH_LIB'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec -a $argv0 '$server' \"\$@\""
    fi
  } >"$wrapper"
  chmod +x "$wrapper"
  local version
  version=$("$wrapper" --version) || { echo "$name: the installed server does not start: $version" >&2; return 1; }
  if ! grep -qE "v=$expect" <<<"$version"; then
    echo "$name: expected version $expect, Debian $suite has: $version" >&2
    return 1
  fi
  echo "$name: installed ($(grep -oE 'v=[^ ]+' <<<"$version")) -> $wrapper"
}

# `scripts/install-servers.sh CACHE_DIR release`: only the Redis of this machine's own Debian
# release, as CACHE_DIR/bin/redis-server, with the libraries it needs that the system lacks: what
# the demo and the tests fetch when no redis-server is on PATH (src/local/server-binary.ts).
# One at a time (flock): parallel callers then find it installed.
if [ "${2:-}" = release ]; then
  exec 9>"$CACHE/.release.lock"
  flock 9
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
  prepare_suite "$codename"
  missing=()
  for lib in $(side_apt "$codename" apt-cache depends redis-tools | sed -nE 's/^ *Depends: (lib[^ <]+)$/\1/p'); do
    [ "$lib" = libc6 ] || dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || missing+=("$lib")
  done
  install redis-server "$codename" '' no redis-tools "${missing[@]}"
  exit 0
fi

# Libraries the system (bookworm) lacks or has too old; libc comes from the suite when the
# loader is used.
NEW_LIBS=(libc6 libstdc++6 libgcc-s1 libssl3t64 libsystemd0 libcap2 libatomic1 libjemalloc2 liblzf1)
install redis-6.0 bullseye '6\.0\.' no redis-tools libssl1.1 libhiredis0.14 libjemalloc2 liblzf1 libatomic1 liblua5.1-0 lua-cjson lua-bitop
install redis-8.0 trixie '8\.0\.' yes redis-tools "${NEW_LIBS[@]}"
install valkey-8.1 trixie '8\.1\.' yes valkey-tools "${NEW_LIBS[@]}"
install valkey-9 sid '9\.' yes valkey-tools "${NEW_LIBS[@]}"
# XACKDEL/XDELEX and KEEPREF|DELREF|ACKED from 8.2, XREADGROUP … CLAIM from 8.4.
install redis-8.6 experimental '8\.6\.' yes redis-tools/experimental "${NEW_LIBS[@]}"
