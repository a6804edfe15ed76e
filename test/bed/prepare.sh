#!/usr/bin/env bash
# Prepares a Debian 12/13 machine to run Orchard's test suites: installs the Debian packages
# the test bed needs (only those missing), starts the host's Docker engine when it is not
# answering, installs the npm dependencies and builds every package.
# Idempotent: a second run changes nothing. Needs root (packages, dockerd, namespaces).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

log() { printf '[prepare] %s\n' "$*"; }
fail() { printf '[prepare] ERROR: %s\n' "$*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || fail "must run as root: the test bed installs packages, starts dockerd and creates network namespaces"

# Debian package -> a file it installs (cheaper and more precise than asking dpkg for each).
declare -A probe=(
  [docker.io]=/usr/sbin/dockerd
  [etcd-server]=/usr/bin/etcd
  [etcd-client]=/usr/bin/etcdctl
  [busybox-static]=/bin/busybox
  [iptables]=/usr/sbin/iptables
  [iproute2]=/usr/sbin/ip
  [docker-registry]=/usr/bin/docker-registry
  [apache2-utils]=/usr/bin/htpasswd
  [tmux]=/usr/bin/tmux
)
missing=()
for pkg in docker.io etcd-server etcd-client busybox-static iptables iproute2 docker-registry apache2-utils tmux; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || [[ ! -e "${probe[$pkg]}" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  log "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
else
  log "Debian packages present"
fi
for tool in nsenter unshare mount umount; do
  command -v "$tool" >/dev/null || fail "$tool not found (util-linux/mount should be part of every Debian system)"
done

# The host engine: started by hand because CI machines do not run systemd.
if docker info >/dev/null 2>&1; then
  log "docker engine is answering"
else
  log "starting dockerd (log: /var/log/dockerd.log)"
  dockerd > /var/log/dockerd.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then break; fi
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      tail -n 30 /var/log/dockerd.log >&2 || true
      fail "dockerd exited during start-up (last lines of /var/log/dockerd.log above)"
    fi
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 30 /var/log/dockerd.log >&2 || true; fail "dockerd did not answer within 60 s (see /var/log/dockerd.log)"; }
  log "docker engine is answering (dockerd pid $dockerd_pid)"
fi

# npm 11 does not run dependency install scripts unless allowed; nothing here needs them
# (esbuild's binary arrives through its optional platform package).
# A tree whose node_modules is newer than its lock file is left alone, so that a second run
# does not wipe node_modules under someone's running processes.
if [[ -f package-lock.json && -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  log "node_modules up to date with package-lock.json"
elif [[ -f package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund
else
  log "npm install (no package-lock.json)"
  npm install --no-audit --no-fund
fi
log "npm run build"
npm run build
npx vitest --version >/dev/null || fail "vitest does not start after npm ci (is esbuild's platform package installed?)"
log "ready"
