#!/usr/bin/env bash
# bench/capture.sh — `snapshot capture` on a real daemon against the docker CLI doing the same reads.
#
#   npm run build
#   sudo bash bench/capture.sh [--rounds R] [--warmup W] [--profile] [N ...]
#                                                   # default: N = 50 200, R = 5, W = 1
#
# For each N: creates 3 networks (explicit /22 subnets from 10.214.224.0/19, inside the guarded
# test range) and N containers from netsleuth-test/busybox (`sleep 86400`, --pull never, --dns on
# their network's gateway), spread round-robin over the networks; every 4th publishes
# 127.0.0.1::80, every 3rd has a network alias, every 10th is also connected to a second network.
# Creation runs 4 at a time. Then one warm-up and R measured rounds, alternating, of
#   A   node bin/run.js snapshot capture --host $DOCKER_HOST -o FILE            (as root: with host
#       evidence, i.e. routes, firewall, listeners and per-container `nsenter` — the real user path)
#   A0  the same with --no-host-evidence
#   B   the docker CLI doing the equivalent Engine reads: docker network inspect $(docker network ls -q)
#       + docker inspect $(docker ps -aq) + docker cp C:/etc/resolv.conf - and C:/etc/hosts - for each
#       container, 8 containers at a time (the capture's default --concurrency)
#   B'  just docker network inspect + docker inspect (no file reads)
# and prints medians (min–max), the ratios and the capture's peak RSS (GNU time). A phase
# breakdown of one in-process capture follows (the progress phases of src/sources/docker/capture.ts);
# --profile adds per-command timings of the host and namespace collectors.
#
# Needs root, the test daemon (bash scripts/test-dockerd.sh start; image built by `start`/`image`)
# and `npm run build`. Everything created is labelled netsleuth.bench=1, named nsb-<pid>-*, and is
# removed on exit (bounded by timeouts). Container creation and measuring run under the shared lock
# /run/netsleuth-live.lock, held per N only while our containers exist. Containers only sleep; the
# only traffic is to the local daemon socket.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCK=/run/netsleuth-live.lock
IMAGE=netsleuth-test/busybox:latest
LABEL=netsleuth.bench=1

die() { echo "bench/capture: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Inner mode (run under flock): create N containers, measure, clean up.
if [[ "${1:-}" == "--inner" ]]; then
  N=$2; ROUNDS=$3; RESULTS=$4; PROFILE=$5; WARMUP=$6
  RUN="nsb-$$"
  NETS=("$RUN-n0" "$RUN-n1" "$RUN-n2")
  GATEWAYS=()

  cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    echo "  cleanup: removing ${RUN}-* containers and networks" >&2
    local ids w
    # Someone else's `test-dockerd.sh stop`/`start` may have the daemon down for a moment: wait a bit.
    for w in $(seq 1 30); do timeout 10 docker version >/dev/null 2>&1 && break; sleep 2; done
    ids=$(timeout 30 docker ps -aq --filter "label=$LABEL" --filter "name=^/$RUN-" 2>/dev/null || true)
    if [[ -n "$ids" ]]; then
      # batches of 25, 4 at a time; the whole removal is bounded
      printf '%s\n' $ids | timeout 240 xargs -r -n 25 -P 4 docker rm -f >/dev/null 2>&1 || \
        echo "  cleanup: WARNING: container removal did not finish; leftover: docker ps -a --filter label=$LABEL" >&2
    fi
    # a network whose last endpoints are still being torn down (busy daemon) refuses removal: retry
    for net in "${NETS[@]}"; do
      for w in 1 2 3 4 5; do
        timeout 60 docker network rm "$net" >/dev/null 2>&1 && break
        timeout 10 docker network inspect "$net" >/dev/null 2>&1 || break
        sleep 3
      done
      timeout 10 docker network inspect "$net" >/dev/null 2>&1 && \
        echo "  cleanup: WARNING: network $net is left; remove it with: docker network rm $net" >&2
    done
    rm -f "/tmp/$RUN".*
    exit "$rc"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  echo "N=$N: creating 3 networks and $N containers ($RUN-*)" >&2
  # /22s from 10.214.224.0/19; one taken (someone's test, a leftover) is skipped
  CANDIDATES=(240 244 248 252 224 228 232 236)
  for i in 0 1 2; do
    while :; do
      (( ${#CANDIDATES[@]} )) || { echo "no free /22 left in 10.214.224.0/19" >&2; exit 1; }
      third=${CANDIDATES[0]}; CANDIDATES=("${CANDIDATES[@]:1}")
      if docker network create --label "$LABEL" --subnet "10.214.$third.0/22" --gateway "10.214.$third.1" \
          "${NETS[$i]}" >/dev/null 2>"/tmp/$RUN.neterr"; then
        GATEWAYS+=("10.214.$third.1"); break
      fi
      grep -qi overlap "/tmp/$RUN.neterr" || { cat "/tmp/$RUN.neterr" >&2; exit 1; }
    done
  done

  create_one() { # index
    local i=$1 k=$(( $1 % 3 )) name
    name=$(printf '%s-c%03d' "$RUN" "$i")
    local args=(run -d --pull never --label "$LABEL" --name "$name" --network "${NETS[$k]}" --dns "${GATEWAYS[$k]}")
    (( i % 4 == 0 )) && args+=(-p 127.0.0.1::80)
    (( i % 3 == 0 )) && args+=(--network-alias "svc$i")
    docker "${args[@]}" "$IMAGE" sleep 86400 >/dev/null
    if (( i % 10 == 0 )); then
      docker network connect --alias "alt$i" "${NETS[$(( (k + 1) % 3 ))]}" "$name"
    fi
  }
  export -f create_one
  export RUN LABEL IMAGE
  export NETS_STR="${NETS[*]}" GATEWAYS_STR="${GATEWAYS[*]}"
  t0=$(date +%s%N)
  seq 0 $(( N - 1 )) | xargs -P 4 -I{} bash -c 'set -e; NETS=($NETS_STR); GATEWAYS=($GATEWAYS_STR); create_one {}'
  echo "  created in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2

  node "$ROOT/bench/capture.mjs" --n "$N" --rounds "$ROUNDS" --results "$RESULTS" --prefix "$RUN" --warmup "$WARMUP" ${PROFILE:+--profile}
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Outer mode: checks, then one locked inner run per N, then the table.
ROUNDS=5; WARMUP=1; PROFILE=; SIZES=()
while (( $# )); do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --profile) PROFILE=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || die "not a container count: $1"; SIZES+=("$1"); shift ;;
  esac
done
(( ${#SIZES[@]} )) || SIZES=(50 200)

[[ $(id -u) -eq 0 ]] || die "needs root (host evidence, and the test daemon's socket); run with sudo"
[[ -f "$ROOT/dist/commands/snapshot/capture.js" && -f "$ROOT/oclif.manifest.json" ]] || \
  die "dist/ or oclif.manifest.json missing: run 'npm run build' first"
eval "$(bash "$ROOT/scripts/test-dockerd.sh" env)" || die "no test daemon: run 'bash scripts/test-dockerd.sh start'"
docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$IMAGE missing: run 'bash scripts/test-dockerd.sh image'"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install -y time): needed for peak RSS"
command -v flock >/dev/null || die "flock missing (util-linux)"

RESULTS=$(mktemp /tmp/netsleuth-bench-capture.XXXXXX.jsonl)
# A private copy of the build: a concurrent `npm run build` in the work tree replaces dist/ mid-run.
BUILD=$(mktemp -d /tmp/netsleuth-bench-build.XXXXXX)
trap 'rm -rf "$RESULTS" "$BUILD"' EXIT
cp -r "$ROOT/bin" "$ROOT/dist" "$ROOT/oclif.manifest.json" "$ROOT/package.json" "$BUILD/"
ln -s "$ROOT/node_modules" "$BUILD/node_modules"
export NETSLEUTH_BENCH_ROOT=$BUILD
for n in "${SIZES[@]}"; do
  # -w: never wait forever for other people's live tests
  flock -w 900 "$LOCK" bash "$0" --inner "$n" "$ROUNDS" "$RESULTS" "$PROFILE" "$WARMUP" || die "run for N=$n failed"
done
echo; echo "=== summary ==="
node "$ROOT/bench/capture.mjs" --table "$RESULTS"
