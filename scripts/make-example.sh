#!/usr/bin/env bash
# Rebuilds the bundled example pair from a real daemon, captured as root with host evidence:
#   docs/examples/example.snapshot.json        a small "shop" compose-like project with the
#                                              situations netsleuth is for;
#   docs/examples/example-after.snapshot.json  the same host a little later, after a deploy an
#                                              operator could really make (below, "the change"),
#                                              so `snapshot diff` shows verdicts that flipped.
# Same daemon, same containers: ids only change where the deploy recreated a container.
#
#   bash scripts/test-dockerd.sh start && eval "$(bash scripts/test-dockerd.sh env)" &&
#   bash scripts/test-dockerd.sh image && npm run build && bash scripts/make-example.sh
#
# Everything it creates is labelled netsleuth.example and removed at the end, and so is the one
# firewall rule the change adds (DOCKER-USER, scoped to the example's own bridge and addresses,
# tagged with the comment netsleuth.example). Containers get --dns on the test daemon's own bridge;
# none of them resolves or contacts anything outside.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DOCKER_HOST:?run eval \"\$(bash scripts/test-dockerd.sh env)\" first}"
IMG=netsleuth-test/busybox:latest
DNS=10.212.0.1
L=(--label netsleuth.example=1)
compose() { echo --label com.docker.compose.project=shop --label "com.docker.compose.service=$1" --label com.docker.compose.container-number=1 --label com.docker.compose.oneoff=False; }

cleanup() {
  # the change's DOCKER-USER rule (and any left by an interrupted run), by its comment; in
  # `iptables -S` output line 1 is the chain itself, so line n is rule n-1
  local n
  while n=$({ iptables -S DOCKER-USER 2>/dev/null || true; } | grep -n 'netsleuth\.example' | head -1 | cut -d: -f1) && [ -n "$n" ]; do
    iptables -D DOCKER-USER $((n - 1))
  done
  docker ps -aq --filter label=netsleuth.example | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter label=netsleuth.example | xargs -r docker network rm >/dev/null
}
trap cleanup EXIT
cleanup

docker network create "${L[@]}" --label com.docker.compose.project=shop --label com.docker.compose.network=front \
  --subnet 10.214.10.0/24 --gateway 10.214.10.1 shop_front >/dev/null
docker network create "${L[@]}" --label com.docker.compose.project=shop --label com.docker.compose.network=back \
  --internal --subnet 10.214.11.0/24 --gateway 10.214.11.1 shop_back >/dev/null
docker network create "${L[@]}" -o com.docker.network.bridge.enable_icc=false \
  --subnet 10.214.12.0/24 --gateway 10.214.12.1 quarantine >/dev/null

run() { docker run -d --pull never "${L[@]}" --dns "$DNS" "$@" >/dev/null; }
# container: mode shares the namespace, resolver included, so --dns is not allowed there
run_shared() { docker run -d --pull never "${L[@]}" "$@" >/dev/null; }
# proxy: published on all addresses, on the front network only
run --name shop-proxy-1 $(compose proxy) --network shop_front -p 8080:80 $IMG httpd -f -p 80
# web: on both networks, with a network alias; a sidecar shares its namespace
run --name shop-web-1 $(compose web) --network shop_front --network-alias frontend --expose 3000 $IMG httpd -f -p 3000
docker network connect --alias web-internal shop_back shop-web-1
run_shared --name shop-web-sidecar $(compose web-sidecar) --network container:shop-web-1 $IMG sleep 86400
# api and db on the internal network; db published on loopback only
run --name shop-api-1 $(compose api) --network shop_back --network-alias api $IMG httpd -f -p 8000
run --name shop-db-1 $(compose db) --network shop_back -p 127.0.0.1:5432:5432 $IMG httpd -f -p 5432
# cache listens on 127.0.0.1 inside its namespace although it publishes 6379: the classic mistake
run --name shop-cache-1 $(compose cache) --network shop_front -p 6379:6379 $IMG httpd -f -p 127.0.0.1:6379
# a host-network exporter and a container with no network at all
run_shared --name node-exporter --network host $IMG httpd -f -p 127.0.0.1:19100
run --name offline-batch --network none $IMG sleep 86400
# two containers on a network with inter-container communication disabled
run --name quarantine-a --network quarantine $IMG sleep 86400
run --name quarantine-b --network quarantine $IMG sleep 86400
# on the default bridge (no embedded DNS there), with an extra hosts entry
run --name legacy-app --add-host legacy-db:10.214.11.50 $IMG sleep 86400
# a stopped container still configured to publish 8080: it will collide with the proxy when started
docker create --pull never "${L[@]}" --dns "$DNS" --name old-proxy --network shop_front -p 8080:80 $IMG httpd -f -p 80 >/dev/null

sleep 1
mkdir -p docs/examples
node bin/run.js snapshot capture -o docs/examples/example.snapshot.json
node bin/run.js snapshot validate docs/examples/example.snapshot.json

# --- the change: a deploy later that day ----------------------------------------------------
# 1. the cache is recreated with the fix for its error: it now listens on all addresses
docker rm -f shop-cache-1 >/dev/null
run --name shop-cache-1 $(compose cache) --network shop_front -p 6379:6379 $IMG httpd -f -p 6379
# 2. quarantine-b is released from quarantine onto the shop's front network
docker network disconnect quarantine quarantine-b
docker network connect shop_front quarantine-b
# 3. a hardening rule "nothing but the api talks to the database", written while forgetting that
#    web talks to the db directly on shop_back: web -> db is now dropped in DOCKER-USER
ip_on() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }
BACK_BR=br-$(docker network inspect -f '{{.Id}}' shop_back | cut -c1-12)
iptables -I DOCKER-USER -o "$BACK_BR" -d "$(ip_on shop-db-1 shop_back)/32" ! -s "$(ip_on shop-api-1 shop_back)/32" \
  -m comment --comment netsleuth.example -j DROP

sleep 1
node bin/run.js snapshot capture -o docs/examples/example-after.snapshot.json
node bin/run.js snapshot validate docs/examples/example-after.snapshot.json
