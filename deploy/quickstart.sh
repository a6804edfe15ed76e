#!/usr/bin/env bash
# One-box Orchard cluster on a fresh Debian / Raspberry Pi OS machine:
# installs what is missing, builds Orchard, starts orchard-master (with its embedded etcd)
# and a local orchard-agent, and runs a sample web server pod.
#
#   bash deploy/quickstart.sh        bring the cluster up and run the sample pod
#   bash deploy/quickstart.sh down   stop what this script started (pods keep running
#                                         until deleted: orchard delete pod hello)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
state=${ORCHARD_QUICKSTART_DIR:-/var/lib/orchard-quickstart}
port=${ORCHARD_PORT:-7443}
server=127.0.0.1:$port
# The master writes its admin credentials on the first start; the CLI uses them for mutual TLS.
orchard() { node "$repo/packages/cli/dist/main.js" --config "$state/master/admin.conf" --server "$server" "$@"; }
say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

stop_pidfile() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # An agent finishes the graceful stops it has under way (up to a pod's grace period,
    # 30 s by default) before it exits.
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && printf 'warning: pid %s is still stopping\n' "$pid" >&2
  fi
  rm -f "$f"
}

if [ "${1:-up}" = down ]; then
  stop_pidfile "$state/agent.pid"
  stop_pidfile "$state/master.pid"
  say "stopped orchard-agent and orchard-master (data kept in $state)"
  # Like any agent, a stopped one leaves its pods' containers running (edge autonomy).
  if docker ps -q --filter label=io.orchard.pod.uid | grep -q .; then
    say "pods keep running without them: delete them first (orchard delete pod hello) or remove their containers with: docker rm -f \$(docker ps -aq --filter label=io.orchard.pod.uid)"
  fi
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root (bash deploy/quickstart.sh): it installs packages and talks to Docker"

say "checking packages"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v etcd >/dev/null || missing+=(etcd-server)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || missing+=(busybox-static)
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) is too old: Orchard needs Node.js 20 or newer (Debian 13 / Raspberry Pi OS trixie ship it)"

if ! docker info >/dev/null 2>&1; then
  say "starting Docker"
  if [ -d /run/systemd/system ]; then
    systemctl enable --now docker
  else
    dockerd >/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "Docker did not start; see /var/log/dockerd.log or journalctl -u docker"
fi

say "building Orchard"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run --silent build
for bin in orchard:cli orchard-master:master orchard-agent:agent; do
  ln -sf "$repo/packages/${bin#*:}/bin/${bin%%:*}" "/usr/local/bin/${bin%%:*}"
done

# The sample pod and the pod infra container use images built here from busybox-static,
# so the quick start works without reaching any registry.
if ! docker image inspect orchard/busybox:local >/dev/null 2>&1 || ! docker image inspect orchard/pause:local >/dev/null 2>&1; then
  say "building local images orchard/busybox:local and orchard/pause:local"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/www" "$root/etc" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'Hello from a pod on Orchard' >"$root/www/index.html"
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - orchard/busybox:local >/dev/null
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'ENTRYPOINT ["/bin/sleep"]' --change 'CMD ["2147483647"]' - orchard/pause:local >/dev/null
  rm -rf "$root"
fi

mkdir -p "$state"
if [ -f "$state/master.pid" ] && kill -0 "$(cat "$state/master.pid")" 2>/dev/null; then
  say "orchard-master already running (pid $(cat "$state/master.pid"))"
else
  say "starting orchard-master with embedded etcd (log: $state/master.log)"
  nohup node packages/master/dist/main.js --data-dir "$state/master" --listen "0.0.0.0:$port" \
    >"$state/master.log" 2>&1 &
  echo $! >"$state/master.pid"
fi
for _ in $(seq 1 60); do [ -f "$state/master/admin.conf" ] && orchard get nodes >/dev/null 2>&1 && break; sleep 0.5; done
orchard get nodes >/dev/null 2>&1 || die "orchard-master did not answer on $server; see $state/master.log"

if [ -f "$state/agent.pid" ] && kill -0 "$(cat "$state/agent.pid")" 2>/dev/null; then
  say "orchard-agent already running (pid $(cat "$state/agent.pid"))"
else
  # The first start joins the cluster with a one-use token, as a new Pi does; later starts
  # use the node's stored certificate.
  join=()
  if [ ! -f "$state/agent/pki/node.crt" ]; then
    say "creating a join token for the local node"
    read -r -a printed < <(orchard token create --usages 1 --ttl 10m --description quickstart --print-join-command)
    # printed: orchard-agent join ADDRESS --token ... --discovery-token-ca-cert-hash ...; join over loopback.
    join=(join "$server" "${printed[@]:3}")
  fi
  say "starting orchard-agent (log: $state/agent.log)"
  # bin/orchard-agent, as installed: it carries the agent's Node.js memory flags.
  nohup packages/agent/bin/orchard-agent "${join[@]}" --server "$server" --data-dir "$state/agent" \
    --pause-image orchard/pause:local >"$state/agent.log" 2>&1 &
  echo $! >"$state/agent.pid"
fi

say "running the sample pod (deploy/examples/hello-pod.yaml)"
orchard apply -f deploy/examples/hello-pod.yaml
for _ in $(seq 1 120); do
  orchard get pod hello 2>/dev/null | grep -q Running && break
  sleep 0.5
done
orchard get pods -o wide
orchard get pod hello | grep -q Running || die "the sample pod is not Running; see orchard describe pod hello and $state/agent.log"
say "the sample pod answers on port 8080:"
node -e 'require("http").get("http://127.0.0.1:8080/", r => { r.pipe(process.stdout); }).on("error", e => { console.error(e.message); process.exit(1); })'
say "cluster is up. Point the CLI at its credentials: export ORCHARD_CONFIG=$state/master/admin.conf"
say "then try: orchard get nodes -o wide   (stop with: bash deploy/quickstart.sh down)"
