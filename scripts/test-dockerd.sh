#!/usr/bin/env bash
# test-dockerd.sh — a real, isolated dockerd for netsleuth's live tests, with an egress guard.
#
#   bash scripts/test-dockerd.sh start    # install docker.io/iptables/busybox-static if missing,
#                                         # start our own dockerd (or reuse one on
#                                         # /var/run/docker.sock), install the egress guard
#   eval "$(bash scripts/test-dockerd.sh env)"   # exports DOCKER_HOST + NETSLEUTH_TEST_DOCKER_HOST
#   bash scripts/test-dockerd.sh image    # builds netsleuth-test/busybox and netsleuth-test/noshell
#   bash scripts/test-dockerd.sh status   # what is running, guard counters
#   bash scripts/test-dockerd.sh cleanup  # removes containers/networks/volumes labelled netsleuth.test
#   bash scripts/test-dockerd.sh stop     # cleanup, check guard counters (non-zero exit on a leak),
#                                         # remove the guard, stop the dockerd we started; while
#                                         # another session's lease is live, only checks counters
#                                         # (`stop --force` tears down regardless)
#   bash scripts/test-dockerd.sh purge    # stop, then delete the data root (images are rebuilt next time)
#
# Address plan (everything a test creates must live here; the guard drops it at the uplink):
#   10.212.0.0/14        all test IPv4 space, guarded
#     10.212.0.0/24      --bip of our dockerd (default bridge, docker0)
#     10.213.0.0/16      --default-address-pool (networks created without --subnet), /24 each
#     10.214.0.0/16      explicit subnets chosen by tests (test/live/harness.ts picks from here)
#   fd21:ee75::/32       test IPv6 (explicit --ipv6 --subnet), guarded with ip6tables
#
# The guard: chain NETSLEUTH-GUARD in the mangle table, jumped to first from POSTROUTING (mangle
# POSTROUTING still sees the container's own source address, before MASQUERADE rewrites it). For
# every uplink (an interface carrying a default route, `ip route show default` /
# `ip -6 route show default`) it DROPs packets sourced from the test pools leaving through it, with
# counters. `stop` fails when any counter is non-zero: some test sent traffic towards the outside.
# Not covered: macvlan/ipvlan traffic never passes the host's iptables — such tests must use a
# dummy parent interface, never the uplink.
#
# More safety nets on the dockerd we start ourselves:
#   --dns 10.212.0.1 — containers started WITHOUT --dns (e.g. sidecars netsleuth itself creates)
#     get a resolver address on our own bridge where nothing listens: lookups fail locally instead
#     of Docker's embedded DNS forwarding to the host's (outside) resolvers. Tests still always pass
#     --dns explicitly (harness.ts enforces it).
#   HTTP(S)_PROXY=http://127.0.0.1:9 in dockerd's environment — an accidental image pull fails at
#     once on loopback instead of contacting a registry. (harness.ts also runs with --pull never.)
#
# State lives in /run/netsleuth-test (tmpfs: gone after a reboot, like the processes it describes):
#   state        MODE=own|reused and DOCKER_HOST=... of the daemon in use
#   dockerd.pid  dockerd's own pidfile (only when we started it)
#   dockerd.log  its log
# The data root /var/lib/netsleuth-test/docker is KEPT by `stop` so the next run reuses the built
# images (fast); `purge` removes it.
#
# When a daemon already answers on /var/run/docker.sock we reuse it instead of starting a second
# one (two dockerds on one host fight over the same iptables chains) and never stop it. Its default
# bridge and default pools are then NOT in the guarded range — tests must use explicit subnets from
# 10.214.0.0/16 (the harness always does).
#
# On a fresh machine `start` installs Debian's docker.io, iptables and busybox-static. While
# installing it puts a temporary /usr/sbin/policy-rc.d (only when none exists) so the packages'
# docker/containerd services are not auto-started: we want our own daemon with the address plan
# above, not a system one with 172.17.0.0/16.
#
# Every subcommand is idempotent and safe to call twice. start/stop/purge hold a lock
# (/run/netsleuth-test/lock) so two callers cannot interleave.
set -euo pipefail

readonly STATE_DIR=/run/netsleuth-test
readonly STATE_FILE="$STATE_DIR/state"
readonly LOCK_FILE="$STATE_DIR/lock"
readonly DATA_ROOT=/var/lib/netsleuth-test/docker
readonly EXEC_ROOT="$STATE_DIR/exec"
readonly OWN_SOCK="$STATE_DIR/docker.sock"
readonly OWN_HOST="unix://$OWN_SOCK"
readonly PIDFILE="$STATE_DIR/dockerd.pid"
readonly LOGFILE="$STATE_DIR/dockerd.log"
readonly SYSTEM_SOCK=/var/run/docker.sock
readonly SYSTEM_HOST="unix://$SYSTEM_SOCK"
readonly BIP=10.212.0.1/24
readonly BIP_ADDR=10.212.0.1
readonly BIP_NET=10.212.0.0/24
readonly POOL=10.213.0.0/16
readonly GUARD_CHAIN=NETSLEUTH-GUARD
readonly GUARD_V4=10.212.0.0/14
readonly GUARD_V6=fd21:ee75::/32
readonly GUARD_COMMENT=netsleuth-test-guard
readonly LABEL=netsleuth.test
readonly IMAGE_BUSYBOX=netsleuth-test/busybox:latest
readonly IMAGE_NOSHELL=netsleuth-test/noshell:latest
readonly IMAGE_RECIPE=2 # bump when the rootfs recipe below changes, to force a rebuild
readonly START_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=30

log() { printf 'test-dockerd: %s\n' "$*" >&2; }
die() { printf 'test-dockerd: error: %s\n' "$*" >&2; exit 1; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "'$1' must run as root (it installs packages, starts dockerd and edits iptables); try: sudo bash $0 $1"
}

lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  if command -v flock >/dev/null 2>&1; then
    flock -w 120 9 || die "another test-dockerd.sh holds $LOCK_FILE"
  fi
}

# docker CLI against one daemon; never reads the caller's DOCKER_HOST/DOCKER_CONTEXT.
dk() {
  local host=$1; shift
  DOCKER_HOST="$host" DOCKER_CONTEXT='' timeout 60 docker "$@"
}

answers() { # answers HOST — the daemon behind HOST replies to `docker version`
  [[ -S ${1#unix://} ]] || return 1
  DOCKER_HOST="$1" DOCKER_CONTEXT='' timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

state_get() { # state_get KEY
  [[ -f $STATE_FILE ]] || return 0
  sed -n "s/^$1=//p" "$STATE_FILE" | tail -n 1
}

write_state() { # write_state MODE HOST
  printf 'MODE=%s\nDOCKER_HOST=%s\n' "$1" "$2" >"$STATE_FILE.tmp"
  mv -f "$STATE_FILE.tmp" "$STATE_FILE"
}

# The daemon in use: the one recorded by `start`, else ours if it answers, else the system one.
current_host() {
  local h
  h=$(state_get DOCKER_HOST)
  if [[ -n $h ]] && answers "$h"; then printf '%s\n' "$h"; return 0; fi
  if answers "$OWN_HOST"; then printf '%s\n' "$OWN_HOST"; return 0; fi
  if answers "$SYSTEM_HOST"; then printf '%s\n' "$SYSTEM_HOST"; return 0; fi
  return 1
}

# PID from our pidfile, only if it is alive and really is our dockerd (guards against PID reuse).
own_dockerd_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$PIDFILE")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "--exec-root $EXEC_ROOT" || return 1
  printf '%s\n' "$pid"
}

# PIDs of leftover containerd / shims that belong to OUR exec root (matched by our private paths,
# never by process name alone).
own_leftover_pids() {
  local d pid cmd
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
    case $cmd in
      *containerd*"$EXEC_ROOT/containerd"*) printf '%s\n' "$pid" ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------------
# leases: several sessions may share the test daemon (e.g. two test runs on one dev VM). `start`
# records a lease for the calling shell ($PPID, with its start time against PID reuse); `stop`
# drops the caller's lease and only tears down (cleanup, guard, daemon) when no other live lease
# remains. `stop --force` ignores other leases. A lease whose shell has exited is stale and ignored,
# so `start` and `stop` from different one-off shells still work.
readonly LEASE_DIR="$STATE_DIR/leases"

proc_starttime() { # proc_starttime PID — field 22 of /proc/PID/stat
  local stat
  stat=$(cat 2>/dev/null "/proc/$1/stat") || return 1
  stat=${stat##*) }
  awk '{print $20}' <<<"$stat"
}

lease_take() {
  local st
  st=$(proc_starttime "$PPID") || return 0
  mkdir -p "$LEASE_DIR"
  printf '%s\n' "$st" >"$LEASE_DIR/$PPID"
}

# Prints the PIDs of live leases other than the caller's; removes stale ones.
other_live_leases() {
  local f pid want have
  [[ -d $LEASE_DIR ]] || return 0
  for f in "$LEASE_DIR"/*; do
    [[ -f $f ]] || continue
    pid=${f##*/}
    [[ $pid == "$PPID" ]] && continue
    want=$(cat "$f" 2>/dev/null || true)
    have=$(proc_starttime "$pid" || true)
    if [[ -n $have && $have == "$want" ]]; then printf '%s\n' "$pid"; else rm -f "$f"; fi
  done
}

# ---------------------------------------------------------------------------------------------
# install

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

busybox_static_ok() {
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1
}

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  busybox_static_ok || missing+=(busybox-static)
  # Tools the tests compare against or drive: dig (DNS oracle), openssl (TLS fixtures),
  # ip/ss (host evidence), nft and ipset (firewall evidence and engine tests).
  command -v dig >/dev/null 2>&1 || missing+=(dnsutils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  command -v ipset >/dev/null 2>&1 || missing+=(ipset)
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them (Debian/Ubuntu expected)"
  log "installing ${missing[*]} with apt-get"
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    # Keep the packages' services (system dockerd/containerd) from auto-starting.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >&2 || rc=$?
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get failed (exit $rc) installing ${missing[*]}"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"
  busybox_static_ok || die "/bin/busybox is not a static binary after installing busybox-static"
}

# ---------------------------------------------------------------------------------------------
# guard

uplinks() { # uplinks 4|6
  local out
  if [[ $1 == 6 ]]; then out=$(ip -6 route show default 2>/dev/null || true)
  else out=$(ip -4 route show default 2>/dev/null || true); fi
  printf '%s\n' "$out" | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u
}

guard_install_family() { # guard_install_family iptables|ip6tables SOURCE-CIDR 4|6
  local ipt=$1 src=$2 fam=$3 ifc n=0
  command -v "$ipt" >/dev/null 2>&1 || { log "$ipt not found; IPv$fam guard skipped"; return 0; }
  if ! "$ipt" -w -t mangle -L "$GUARD_CHAIN" -n >/dev/null 2>&1; then
    "$ipt" -w -t mangle -N "$GUARD_CHAIN" || { log "cannot create $ipt mangle chain; IPv$fam guard skipped"; return 0; }
  fi
  # Rules are only ever added (never flushed here), so counters survive a second `start`.
  for ifc in $(uplinks "$fam"); do
    n=$((n + 1))
    "$ipt" -w -t mangle -C "$GUARD_CHAIN" -o "$ifc" -s "$src" -m comment --comment "$GUARD_COMMENT" -j DROP 2>/dev/null ||
      "$ipt" -w -t mangle -A "$GUARD_CHAIN" -o "$ifc" -s "$src" -m comment --comment "$GUARD_COMMENT" -j DROP
  done
  "$ipt" -w -t mangle -C POSTROUTING -j "$GUARD_CHAIN" 2>/dev/null ||
    "$ipt" -w -t mangle -I POSTROUTING 1 -j "$GUARD_CHAIN"
  if ((n == 0)); then
    log "no IPv$fam default route: nothing can leave over IPv$fam, guard chain has no rules"
  else
    log "IPv$fam guard: DROP $src out of $(uplinks "$fam" | paste -sd, -) ($ipt -t mangle $GUARD_CHAIN)"
  fi
}

guard_install() {
  guard_install_family iptables "$GUARD_V4" 4
  guard_install_family ip6tables "$GUARD_V6" 6
}

# Prints the guard rules with counters; returns the total packet count on fd 3... kept simple:
# sets GUARD_PKTS (sum of packet counters over both families) and prints the listing to stderr.
GUARD_PKTS=0
guard_check() {
  GUARD_PKTS=0
  local ipt listing pkts
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    listing=$("$ipt" -w -t mangle -L "$GUARD_CHAIN" -v -x -n 2>/dev/null) || continue
    pkts=$(printf '%s\n' "$listing" | awk 'NR > 2 && $1 ~ /^[0-9]+$/ {s += $1} END {print s + 0}')
    GUARD_PKTS=$((GUARD_PKTS + pkts))
    if ((pkts > 0)); then
      log "$ipt guard counters (non-zero!):"
      printf '%s\n' "$listing" | sed 's/^/test-dockerd:   /' >&2
    fi
  done
}

guard_remove() {
  local ipt
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null 2>&1 || continue
    while "$ipt" -w -t mangle -C POSTROUTING -j "$GUARD_CHAIN" 2>/dev/null; do
      "$ipt" -w -t mangle -D POSTROUTING -j "$GUARD_CHAIN"
    done
    if "$ipt" -w -t mangle -L "$GUARD_CHAIN" -n >/dev/null 2>&1; then
      "$ipt" -w -t mangle -F "$GUARD_CHAIN"
      "$ipt" -w -t mangle -X "$GUARD_CHAIN"
      log "removed $ipt guard chain"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# subcommands

cmd_start() {
  require_root start
  lock
  ensure_packages
  command -v docker >/dev/null 2>&1 || die "docker CLI not found (docker.io provides it)"

  # Guard first: before any container of ours exists.
  guard_install

  local pid
  if pid=$(own_dockerd_pid) && answers "$OWN_HOST"; then
    write_state own "$OWN_HOST"
    lease_take
    log "our dockerd is already running (pid $pid) on $OWN_HOST"
    return 0
  fi
  if answers "$SYSTEM_HOST"; then
    write_state reused "$SYSTEM_HOST"
    lease_take
    log "a dockerd already answers on $SYSTEM_SOCK: reusing it (not started by us, will not be stopped)"
    log "note: its default bridge/pools are outside the guarded range; tests must use 10.214.0.0/16"
    return 0
  fi
  if [[ -f $PIDFILE ]] && ! own_dockerd_pid >/dev/null; then
    rm -f "$PIDFILE" # stale
  fi
  if pid=$(own_dockerd_pid); then
    die "our dockerd (pid $pid) is running but does not answer on $OWN_SOCK; run '$0 stop' first"
  fi

  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  rm -f "$OWN_SOCK"
  log "starting dockerd (data root $DATA_ROOT, socket $OWN_SOCK, log $LOGFILE)"
  {
    printf '\n==== %s test-dockerd start ====\n' "$(date -Is)"
  } >>"$LOGFILE"
  # setsid: own session, so a Ctrl-C in the calling terminal does not hit the daemon.
  env -u DOCKER_HOST -u DOCKER_CONTEXT \
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 NO_PROXY= no_proxy= \
    setsid dockerd \
    --data-root "$DATA_ROOT" \
    --exec-root "$EXEC_ROOT" \
    -H "$OWN_HOST" \
    --pidfile "$PIDFILE" \
    --bip "$BIP" \
    --default-address-pool "base=$POOL,size=24" \
    --dns "$BIP_ADDR" \
    </dev/null >>"$LOGFILE" 2>&1 9>&- &
  local launched=$!
  write_state own "$OWN_HOST"

  local i
  for ((i = 0; i < START_TIMEOUT_S; i++)); do
    if answers "$OWN_HOST"; then
      lease_take
      log "dockerd is up (pid $(cat "$PIDFILE" 2>/dev/null || echo "$launched"), $(dk "$OWN_HOST" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))"
      return 0
    fi
    if ! kill -0 "$launched" 2>/dev/null; then
      break
    fi
    sleep 1
  done
  log "dockerd did not answer on $OWN_SOCK within ${START_TIMEOUT_S}s; last lines of $LOGFILE:"
  tail -n 40 "$LOGFILE" | sed 's/^/test-dockerd:   /' >&2 || true
  if kill -0 "$launched" 2>/dev/null && tr '\0' ' ' 2>/dev/null <"/proc/$launched/cmdline" | grep -q -- "--exec-root $EXEC_ROOT"; then
    kill -TERM "$launched" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$launched" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$launched" 2>/dev/null || true
  fi
  stop_own_daemon || true
  rm -f "$STATE_FILE"
  exit 1
}

cmd_env() {
  local h
  h=$(current_host) || die "no test daemon answers (run: bash $0 start)"
  printf "export DOCKER_HOST='%s'\n" "$h"
  printf "export NETSLEUTH_TEST_DOCKER_HOST='%s'\n" "$h"
}

# Builds the busybox rootfs into $1.
make_busybox_rootfs() {
  local root=$1 p
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/www,proc,sys,dev,run}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  # Every applet this busybox has, at its canonical path (bin/sh, usr/bin/wget, ...).
  while IFS= read -r p; do
    [[ -z $p || $p == bin/busybox ]] && continue
    mkdir -p "$root/$(dirname "$p")"
    ln -sf /bin/busybox "$root/$p"
  done < <(/bin/busybox --list-full)
  for p in sh nc wget nslookup ip ping httpd sleep cat ls echo timeout; do
    [[ -L $root/bin/$p || -L $root/sbin/$p || -L $root/usr/bin/$p || -L $root/usr/sbin/$p ]] ||
      die "this busybox lacks the '$p' applet that live tests need"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'netsleuth test image\n' >"$root/var/www/index.html"
}

# Builds the no-tools rootfs into $1: only /bin/sleep (a busybox copy that only ever runs as
# `sleep`, because busybox picks the applet from argv[0]); no shell, no other applets.
make_noshell_rootfs() {
  local root=$1
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/sleep"
}

image_current() { # image_current HOST IMAGE WANT-FINGERPRINT
  local have
  have=$(dk "$1" image inspect --format '{{index .Config.Labels "netsleuth.test.fingerprint"}}' "$2" 2>/dev/null) || return 1
  [[ $have == "$3" ]]
}

build_image() { # build_image HOST IMAGE MAKER FINGERPRINT CMD-JSON
  local host=$1 image=$2 maker=$3 fp=$4 cmd=$5 tmp
  if image_current "$host" "$image" "$fp"; then
    log "image $image is present"
    return 0
  fi
  tmp=$(mktemp -d)
  local rc=0
  (
    set -euo pipefail
    "$maker" "$tmp/rootfs"
    tar --numeric-owner --owner=0 --group=0 -C "$tmp/rootfs" -cf - . |
      dk "$host" import \
        -c "LABEL $LABEL=1" \
        -c "LABEL netsleuth.test.fingerprint=$fp" \
        -c "CMD $cmd" \
        -m "netsleuth test image (busybox-static, recipe $IMAGE_RECIPE)" \
        - "$image" >/dev/null
  ) || rc=$?
  rm -rf "$tmp"
  ((rc == 0)) || die "building image $image failed (exit $rc)"
  log "built image $image"
}

cmd_image() {
  local h bb
  h=$(current_host) || die "no test daemon answers (run: bash $0 start)"
  busybox_static_ok || die "/bin/busybox missing or not static (install busybox-static; '$0 start' does)"
  bb=$(sha256sum /bin/busybox | cut -c1-16)
  build_image "$h" "$IMAGE_BUSYBOX" make_busybox_rootfs "r$IMAGE_RECIPE-$bb" '["sleep","86400"]'
  build_image "$h" "$IMAGE_NOSHELL" make_noshell_rootfs "r$IMAGE_RECIPE-$bb" '["/bin/sleep","86400"]'
}

# Removes every labelled object of one kind. Objects that vanish meanwhile (another caller removed
# them) are fine; fails only if something listed is still there afterwards.
remove_labelled() { # remove_labelled HOST KIND(container|network|volume)
  local h=$1 kind=$2 ids left list rm id
  case $kind in
    container) list=(ps -aq) rm=(rm -f -v) ;;
    network) list=(network ls -q) rm=(network rm) ;;
    volume) list=(volume ls -q) rm=(volume rm -f) ;;
  esac
  ids=$(dk "$h" "${list[@]}" --filter "label=$LABEL") || return 1
  [[ -z $ids ]] && return 0
  # shellcheck disable=SC2086
  dk "$h" "${rm[@]}" $ids >/dev/null 2>&1 || true
  left=$(dk "$h" "${list[@]}" --filter "label=$LABEL") || return 1
  for id in $ids; do
    if grep -qx "$id" <<<"$left"; then
      log "could not remove $kind $id"
      return 1
    fi
  done
  log "removed $(wc -w <<<"$ids") $kind(s)"
}

cleanup_on() { # cleanup_on HOST
  remove_labelled "$1" container && remove_labelled "$1" network && remove_labelled "$1" volume
}

cmd_cleanup() {
  local h
  if ! h=$(current_host); then
    log "no test daemon answers; nothing to clean up"
    return 0
  fi
  cleanup_on "$h"
}

stop_own_daemon() {
  local pid i
  if pid=$(own_dockerd_pid); then
    log "stopping our dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 2; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 0.5
    done
    if [[ -d /proc/$pid ]]; then
      log "dockerd (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -f "$PIDFILE"
  # Its containerd normally exits with it; make sure (by our private paths, never by name).
  local left
  left=$(own_leftover_pids | paste -sd' ' -)
  if [[ -n $left ]]; then
    log "containerd process(es) of ours still running ($left): SIGTERM"
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      left=$(own_leftover_pids | paste -sd' ' -)
      [[ -z $left ]] && break
      sleep 0.5
    done
    if [[ -n $left ]]; then
      log "SIGKILL $left"
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null || true
    fi
  fi
  # The default bridge keeps our --bip address after dockerd exits; remove it so a later system
  # dockerd does not inherit 10.212.0.1/24. Only when it carries exactly our address.
  if ip -4 addr show dev docker0 2>/dev/null | grep -q "inet $BIP "; then
    ip link delete docker0 2>/dev/null && log "removed bridge docker0 ($BIP)" || true
  fi
  # dockerd also leaves its default-bridge MASQUERADE rule behind; drop that one rule (its empty
  # DOCKER* chains stay: any later dockerd reuses them).
  while iptables -w -t nat -C POSTROUTING -s "$BIP_NET" ! -o docker0 -j MASQUERADE 2>/dev/null; do
    iptables -w -t nat -D POSTROUTING -s "$BIP_NET" ! -o docker0 -j MASQUERADE
  done
  rm -f "$OWN_SOCK"
}

cmd_stop() {
  require_root stop
  lock
  local mode h rc=0 others
  rm -f "$LEASE_DIR/$PPID"
  others=$(other_live_leases | paste -sd' ' -)
  if [[ -n $others && ${1:-} != --force ]]; then
    guard_check
    log "other session(s) still use the test daemon (shell pid(s) $others): leaving daemon, guard and labelled objects in place (stop --force overrides)"
    if ((GUARD_PKTS > 0)); then
      log "LEAK: $GUARD_PKTS packet(s) from the test pools tried to leave through the uplink (see counters above)"
      return 1
    fi
    return 0
  fi
  rm -rf "$LEASE_DIR"
  mode=$(state_get MODE)
  if h=$(current_host); then
    cleanup_on "$h" || { log "cleanup failed"; rc=1; }
  fi
  guard_check
  if ((GUARD_PKTS > 0)); then
    log "LEAK: $GUARD_PKTS packet(s) from the test pools tried to leave through the uplink (see counters above)"
    rc=1
  fi
  guard_remove
  if [[ $mode == reused ]]; then
    log "leaving the reused daemon on $SYSTEM_SOCK running (we did not start it)"
  else
    stop_own_daemon
  fi
  rm -f "$STATE_FILE"
  local left
  left=$(own_leftover_pids | paste -sd' ' -)
  if own_dockerd_pid >/dev/null || [[ -n $left ]]; then
    log "processes of ours still running: dockerd=$(own_dockerd_pid || echo none) containerd=${left:-none}"
    rc=1
  fi
  ((rc == 0)) && log "stopped"
  return "$rc"
}

cmd_purge() {
  local rc=0
  cmd_stop --force || rc=$?
  if own_dockerd_pid >/dev/null; then die "our dockerd still runs; not purging"; fi
  if grep -q " $DATA_ROOT" /proc/self/mountinfo; then
    grep " $DATA_ROOT" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount "$m" || true; done
  fi
  rm -rf "$DATA_ROOT" "$EXEC_ROOT"
  log "removed $DATA_ROOT"
  return "$rc"
}

cmd_status() {
  local mode h
  mode=$(state_get MODE)
  echo "state: ${mode:-none}"
  if h=$(current_host); then echo "daemon: $h (answers)"; else echo "daemon: none answers"; fi
  echo "our dockerd pid: $(own_dockerd_pid || echo none)"
  echo "our containerd pids: $(own_leftover_pids | paste -sd' ' - || true)"
  echo "live leases (shell pids): $(other_live_leases | paste -sd' ' - || true)"
  local ipt
  for ipt in iptables ip6tables; do
    echo "--- $ipt -t mangle $GUARD_CHAIN"
    "$ipt" -w -t mangle -L "$GUARD_CHAIN" -v -x -n 2>/dev/null || echo "(absent)"
  done
}

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  case $cmd in
    start) cmd_start ;;
    env) cmd_env ;;
    image) cmd_image ;;
    cleanup) cmd_cleanup ;;
    stop) cmd_stop "${2:-}" ;;
    purge) require_root purge; cmd_purge ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *) usage >&2; die "unknown subcommand '${cmd}' (start|env|image|cleanup|stop|purge|status)" ;;
  esac
}

main "$@"
