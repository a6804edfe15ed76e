#!/usr/bin/env bash
# Installs Orchard on Raspberry Pi OS or Debian (arm64, armhf, amd64). See docs/install.md.
#
#   install.sh master [--config FILE]
#   install.sh master --join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX
#   install.sh agent  --join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX
#
# Every check runs before anything is changed; a failed check changes nothing. Each file,
# link, package and service the script adds is recorded in a manifest, which
# uninstall.sh reads to remove exactly those things.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly MANIFEST=/var/lib/orchard-install.manifest
readonly PREFIX=/opt/orchard
readonly MIN_NODE_MAJOR=20
readonly CGROUP_TOKENS="cgroup_enable=memory cgroup_memory=1"

usage() {
  cat <<'EOF'
Usage:
  install.sh master [--config FILE] [options]
      First master of a cluster: etcd, orchard-master, a new cluster server secret.
  install.sh master --join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [options]
      A further master, joined with a master token (orchard token create --master).
  install.sh agent --join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [options]
      A node: Docker, orchard-agent, joined with a node token (orchard token create).

Options:
  --config FILE     master.yaml / agent.yaml to install instead of the example
  --node-name NAME  node or master name (default: the hostname)
  --fix-cmdline     add "cgroup_enable=memory cgroup_memory=1" to the boot command line
                    (/boot/firmware/cmdline.txt or /boot/cmdline.txt) when the memory
                    cgroup is off; a reboot is needed afterwards
  --root DIR        install into DIR instead of / (images, tests): services are enabled
                    for the next boot but not started, the join is not run
  --dry-run         print what would be done; change nothing
  --source DIR      Orchard source tree to install (default: the tree holding this script)
  --no-build        copy the source tree as it is (already built, node_modules present)
  --skip-packages   do not install Debian packages
  -h, --help        this text
EOF
}

# ---- output -------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
# Refusal before any change: say so, so the user knows the system is untouched.
refuse() {
  printf 'error: %s\n' "$*" >&2
  printf 'Nothing was changed.\n' >&2
  exit 1
}

# ---- flags --------------------------------------------------------------------------

MODE=""
ROOT="/"
DRY_RUN=0
FIX_CMDLINE=0
SOURCE_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
BUILD=1
PACKAGES=1
CONFIG_FILE=""
JOIN=""
TOKEN=""
CA_HASH=""
NODE_NAME=""
# Kernel state is the running system's even with --root; tests point this elsewhere.
SYSFS="${ORCHARD_INSTALL_SYSFS:-/sys}"

need_value() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then refuse "$1 needs a value (see --help)"; fi
}

parse_args() {
  [ $# -gt 0 ] || {
    usage >&2
    exit 2
  }
  case "$1" in
    master | agent) MODE="$1" ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) refuse "first argument must be \"master\" or \"agent\", got \"$1\" (see --help)" ;;
  esac
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --config) need_value "$@"; CONFIG_FILE="$2"; shift 2 ;;
      --join) need_value "$@"; JOIN="$2"; shift 2 ;;
      --token) need_value "$@"; TOKEN="$2"; shift 2 ;;
      --discovery-token-ca-cert-hash) need_value "$@"; CA_HASH="$2"; shift 2 ;;
      --node-name) need_value "$@"; NODE_NAME="$2"; shift 2 ;;
      --root) need_value "$@"; ROOT="$2"; shift 2 ;;
      --source) need_value "$@"; SOURCE_DIR="$2"; shift 2 ;;
      --fix-cmdline) FIX_CMDLINE=1; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      --no-build) BUILD=0; shift ;;
      --skip-packages) PACKAGES=0; shift ;;
      -h | --help) usage; exit 0 ;;
      *) refuse "unknown option \"$1\" (see --help)" ;;
    esac
  done
  validate_args
}

validate_args() {
  [ -d "$ROOT" ] || refuse "--root $ROOT is not a directory"
  ROOT="$(cd "$ROOT" && pwd)"
  [ -d "$SOURCE_DIR/packages" ] || refuse "--source $SOURCE_DIR is not an Orchard source tree (no packages/ folder)"
  SOURCE_DIR="$(cd "$SOURCE_DIR" && pwd)"
  if [ -n "$CONFIG_FILE" ]; then
    if [ ! -f "$CONFIG_FILE" ] || [ ! -r "$CONFIG_FILE" ]; then refuse "--config $CONFIG_FILE is not a readable file"; fi
  fi
  if [ -n "$JOIN$TOKEN$CA_HASH" ] || [ "$MODE" = agent ]; then
    [ -n "$JOIN" ] || refuse "--join MASTER:PORT is required to join a cluster"
    [ -n "$TOKEN" ] || refuse "--token ID.SECRET is required to join a cluster (create one on a master: orchard token create)"
    [ -n "$CA_HASH" ] || refuse "--discovery-token-ca-cert-hash sha256:HEX is required to join a cluster (orchard token create --print-join-command prints it)"
  fi
  if [ -n "$JOIN" ]; then
    if ! [[ "$JOIN" =~ ^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$ ]] || [ "${BASH_REMATCH[2]}" -lt 1 ] || [ "${BASH_REMATCH[2]}" -gt 65535 ]; then
      refuse "--join must be MASTER:PORT (e.g. 192.168.1.10:7443), got \"$JOIN\""
    fi
    [[ "$TOKEN" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] ||
      refuse "--token must look like \"abcdef.0123456789abcdef\" (6 and 16 lowercase letters or digits)"
    [[ "$CA_HASH" =~ ^sha256:[0-9a-fA-F]{64}$ ]] ||
      refuse "--discovery-token-ca-cert-hash must be \"sha256:\" followed by 64 hex digits"
  fi
  if [ -n "$NODE_NAME" ]; then
    if ! [[ "$NODE_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]] || [ "${#NODE_NAME}" -gt 253 ]; then
      refuse "--node-name must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    fi
  fi
  if [ "$ROOT" = / ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    refuse "run as root (sudo), or use --dry-run to see what would be done"
  fi
}

# ---- helpers ------------------------------------------------------------------------

# A path of the target system, under --root.
target() {
  if [ "$ROOT" = / ]; then printf '%s' "$1"; else printf '%s%s' "$ROOT" "$1"; fi
}

# Runs a changing command, or prints it under --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# A command inside the target system (chroot under --root).
in_target() {
  if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi
}

manifest_has() {
  [ -f "$(target "$MANIFEST")" ] && grep -qxF -- "$1" "$(target "$MANIFEST")"
}

# Records one installed thing ("TYPE VALUE"); written as we go, so even a failed
# install can be undone by uninstall.sh.
record() {
  [ "$DRY_RUN" = 1 ] && return 0
  local line="$1 $2" file
  file="$(target "$MANIFEST")"
  if [ ! -f "$file" ]; then
    # Folders created for the manifest itself are recorded first, so they go last.
    local created=() d
    d="$(dirname "$MANIFEST")"
    while [ ! -d "$(target "$d")" ]; do
      created=("$d" "${created[@]}")
      d="$(dirname "$d")"
    done
    mkdir -p "$(dirname "$file")"
    printf '# Orchard install manifest: what deploy/install.sh added (read by uninstall.sh).\n' >"$file"
    for d in "${created[@]}"; do printf 'dir %s\n' "$d" >>"$file"; done
  fi
  grep -qxF -- "$line" "$file" || printf '%s\n' "$line" >>"$file"
}

# Creates a directory (and records it) unless it exists.
make_dir() {
  local path="$1" mode="$2"
  [ -d "$(target "$path")" ] && return 0
  make_dir "$(dirname "$path")" 0755
  run install -d -m "$mode" "$(target "$path")"
  record dir "$path"
}

# Writes stdin to a file of the target system. An existing file is kept when it is not
# this script's, or when policy is "keep" (configuration and the server secret: a re-run
# must never undo the user's edits or change the cluster's secret); "replace" replaces
# files this script wrote before (units, on upgrade).
write_file() {
  local path="$1" mode="$2" policy="$3" dest content
  dest="$(target "$path")"
  content="$(cat)"
  if [ -e "$dest" ] && { [ "$policy" = keep ] || ! manifest_has "file $path"; }; then
    say "    keeping existing $path"
    return 0
  fi
  if [ "$DRY_RUN" = 1 ]; then
    say "+ write $dest (mode $mode)"
    return 0
  fi
  make_dir "$(dirname "$path")" 0755
  (umask 077 && printf '%s\n' "$content" >"$dest.tmp")
  chmod "$mode" "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
  record file "$path"
}

systemd_running() {
  [ "$ROOT" = / ] && [ -d /run/systemd/system ]
}

# " into DIR" under --root, nothing otherwise (for messages).
root_note() {
  [ "$ROOT" = / ] || printf ' %s %s' "$1" "$ROOT"
}

# Where the service keeps its state (data-dir in the example configs, StateDirectory= in
# the units): credentials and CA material, kept by uninstall.sh unless --purge.
data_dir() {
  if [ "$MODE" = master ]; then printf /var/lib/orchard; else printf /var/lib/orchard-agent; fi
}

mask_token() {
  printf '%s' "${1%%.*}.<secret>"
}

# ---- checks (change nothing) --------------------------------------------------------

ARCH=""
detect_arch() {
  local machine
  if [ "$ROOT" = / ] && command -v dpkg >/dev/null 2>&1; then
    ARCH="$(dpkg --print-architecture)"
  elif [ "$ROOT" != / ] && [ -x "$(target /usr/bin/dpkg)" ] && ARCH="$(chroot "$ROOT" dpkg --print-architecture 2>/dev/null)"; then
    : # the target's own architecture (an image of the same architecture as this machine)
  else
    machine="$(uname -m)"
    case "$machine" in
      x86_64) ARCH=amd64 ;;
      aarch64 | arm64) ARCH=arm64 ;;
      armv7l | armv8l) ARCH=armhf ;;
      armv6l) refuse "this is an ARMv6 board (Raspberry Pi 1 / Zero): Debian's docker.io, etcd and Node.js need ARMv7 or newer" ;;
      *) ARCH="$machine" ;;
    esac
  fi
  case "$ARCH" in
    amd64 | arm64 | armhf) ;;
    *) refuse "unsupported architecture \"$ARCH\": Orchard supports arm64, armhf and amd64" ;;
  esac
}

OS_ID=""
OS_CODENAME=""
OS_NAME=""
detect_os() {
  local release
  release="$(target /etc/os-release)"
  [ -f "$release" ] || release="$(target /usr/lib/os-release)"
  [ -f "$release" ] || refuse "cannot identify the system: $(target /etc/os-release) is missing (Raspberry Pi OS or Debian required)"
  OS_ID="$(sed -n 's/^ID=//p' "$release" | tr -d '"')"
  OS_CODENAME="$(sed -n 's/^VERSION_CODENAME=//p' "$release" | tr -d '"')"
  OS_NAME="$(sed -n 's/^PRETTY_NAME=//p' "$release" | tr -d '"')"
  local like
  like="$(sed -n 's/^ID_LIKE=//p' "$release" | tr -d '"')"
  case " $OS_ID $like " in
    *" debian "* | *" raspbian "*) ;;
    *) refuse "unsupported system \"${OS_NAME:-$OS_ID}\": this script installs Debian packages (Raspberry Pi OS or Debian required)" ;;
  esac
  case "$OS_CODENAME" in
    bookworm | trixie | forky | sid) ;;
    *) warn "untested release \"$OS_CODENAME\" (tested: bookworm, trixie)" ;;
  esac
  local model=""
  [ -r "$SYSFS/firmware/devicetree/base/model" ] && model="$(tr -d '\0' <"$SYSFS/firmware/devicetree/base/model")"
  say "    system: ${OS_NAME:-$OS_ID} ($ARCH)${model:+, $model}"
}

CMDLINE_FILE=""
find_cmdline() {
  local f
  for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    if [ -f "$(target "$f")" ]; then
      CMDLINE_FILE="$f"
      return 0
    fi
  done
  return 1
}

MEMORY_CGROUP_OK=0
check_memory_cgroup() {
  local controllers="$SYSFS/fs/cgroup/cgroup.controllers"
  if [ -f "$controllers" ]; then
    # cgroup v2 (Raspberry Pi OS bookworm and later): the controller must be listed.
    grep -qw memory "$controllers" && MEMORY_CGROUP_OK=1
  elif [ -d "$SYSFS/fs/cgroup/memory" ]; then
    # cgroup v1: the memory hierarchy is mounted only when the controller is on.
    MEMORY_CGROUP_OK=1
  fi
  if [ "$MEMORY_CGROUP_OK" = 1 ]; then
    say "    memory cgroup: enabled"
    return 0
  fi

  local where fix
  if find_cmdline; then
    where="the single line in $CMDLINE_FILE"
    if grep -q 'cgroup_memory=1' "$(target "$CMDLINE_FILE")" && grep -q 'cgroup_enable=memory' "$(target "$CMDLINE_FILE")"; then
      say "    memory cgroup: off, but $CMDLINE_FILE already enables it: reboot to apply"
      [ "$MODE" = agent ] && refuse "reboot first (the memory cgroup is enabled in $CMDLINE_FILE but not active yet), then run this script again"
      return 0
    fi
    fix="or run this script again with --fix-cmdline to make that change."
  else
    where="the kernel command line (for GRUB: GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub)"
    fix="--fix-cmdline only edits a Raspberry Pi's cmdline.txt."
  fi
  local explanation
  explanation="the memory cgroup is not enabled in this kernel, so Docker cannot enforce pod memory limits
  and orchard-agent will not start. To enable it, add
      $CGROUP_TOKENS
  to the end of $where, and reboot;
  $fix"
  if [ "$FIX_CMDLINE" = 1 ] && [ -n "$CMDLINE_FILE" ]; then
    say "    memory cgroup: off; --fix-cmdline will enable it in $CMDLINE_FILE (reboot needed)"
  elif [ "$MODE" = agent ]; then
    refuse "$explanation"
  else
    warn "$explanation
  (The master itself runs no pods, so it is installed anyway.)"
  fi
}

NODE_PACKAGE=0
NEED_PACKAGES=()
plan_packages() {
  local wanted=() pkg
  if [ "$MODE" = master ]; then wanted+=(etcd-server); else wanted+=(docker.io); fi

  if [ "$PACKAGES" = 0 ]; then
    say "    packages: not installed (--skip-packages)"
  elif [ "$ROOT" != / ] && [ ! -x "$(target /usr/bin/apt-get)" ]; then
    say "    packages: not installed ($ROOT holds no Debian system to run apt-get in)"
    PACKAGES=0
  fi

  check_node
  if [ "$BUILD" = 1 ] && [ "$ROOT" != / ] && ! command -v npm >/dev/null 2>&1; then
    refuse "with --root, Orchard is built on this machine, which has no npm: install npm here, or pass --no-build with an already built --source"
  fi

  [ "$PACKAGES" = 1 ] || return 0
  [ "$NODE_PACKAGE" = 1 ] && wanted+=(nodejs)
  # The build (npm ci) needs npm; Debian packages it separately from nodejs. Under --root
  # the build runs on this machine (see install_orchard), so only this machine needs it.
  if [ "$BUILD" = 1 ] && [ "$ROOT" = / ] && ! command -v npm >/dev/null 2>&1; then wanted+=(npm); fi
  for pkg in "${wanted[@]}"; do
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell variable
    if ! in_target dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      NEED_PACKAGES+=("$pkg")
    fi
  done
  say "    packages to install: ${NEED_PACKAGES[*]:-none}"
}

# Node.js: one already on PATH (Debian's, NodeSource's or official binaries) is used if it
# is new enough; otherwise Debian's nodejs package must be, or nothing is done.
check_node() {
  local version major candidate
  if version="$(in_target node --version 2>/dev/null)"; then
    major="${version#v}"
    major="${major%%.*}"
    if [ "$major" -ge "$MIN_NODE_MAJOR" ] 2>/dev/null; then
      say "    node.js: $version (installed)"
      return 0
    fi
  fi
  if [ "$PACKAGES" = 0 ]; then
    if [ "$ROOT" != / ]; then
      say "    node.js: not checked (no Node.js $MIN_NODE_MAJOR+ found in $ROOT; install one there before use)"
      return 0
    fi
    refuse "Orchard needs Node.js $MIN_NODE_MAJOR or newer; node --version says \"${version:-nothing}\" and --skip-packages was given"
  fi
  candidate="$(in_target apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)"
  major="${candidate#*:}"
  major="${major%%.*}"
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ] || ! [ "$major" -ge "$MIN_NODE_MAJOR" ] 2>/dev/null; then
    refuse "Orchard needs Node.js $MIN_NODE_MAJOR or newer, but this system's nodejs package is ${candidate:-not available} (${OS_NAME:-$OS_ID}).
  Debian 13 (trixie) and Raspberry Pi OS trixie ship Node.js 20. On this release, install a
  supported Node.js first - for example from NodeSource (https://github.com/nodesource/distributions)
  or the official binaries (https://nodejs.org/en/download) - so that \`node --version\` prints
  v$MIN_NODE_MAJOR or newer, then run this script again."
  fi
  say "    node.js: Debian package nodejs $candidate"
  NODE_PACKAGE=1
}

# Paths this script will create must not belong to something else.
check_conflicts() {
  local path
  for path in "$PREFIX" /usr/local/bin/orchard /usr/local/bin/orchard-master /usr/local/bin/orchard-agent \
    /etc/systemd/system/orchard-master.service /etc/systemd/system/orchard-agent.service /etc/systemd/system/orchard-etcd.service; do
    if [ -e "$(target "$path")" ] || [ -L "$(target "$path")" ]; then
      manifest_has "tree $path" || manifest_has "file $path" || manifest_has "symlink $path" ||
        refuse "$path exists and was not installed by this script; move it away first"
    fi
  done
}

# ---- changes ------------------------------------------------------------------------

install_packages() {
  [ "${#NEED_PACKAGES[@]}" -gt 0 ] || return 0
  step "Installing Debian packages: ${NEED_PACKAGES[*]}"
  local policy created_policy=0
  policy="$(target /usr/sbin/policy-rc.d)"
  if [ "$ROOT" != / ] && [ ! -e "$policy" ] && [ "$DRY_RUN" = 0 ]; then
    created_policy=1
    # In another root, package scripts must not start daemons (dockerd, etcd) on this
    # host: the Debian way to say so is a policy-rc.d that denies every start.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  run in_target apt-get update
  run in_target env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${NEED_PACKAGES[@]}"
  if [ "$created_policy" = 1 ]; then
    rm -f "$policy"
    trap - EXIT
  fi
  local pkg
  for pkg in "${NEED_PACKAGES[@]}"; do record package "$pkg"; done
}

# Debian's etcd-server enables its own etcd.service on the ports orchard-etcd uses.
disable_debian_etcd() {
  [ "$MODE" = master ] || return 0
  [ -L "$(target /etc/systemd/system/multi-user.target.wants/etcd.service)" ] || return 0
  step "Disabling Debian's etcd.service (orchard-etcd.service replaces it)"
  if systemd_running; then
    run systemctl disable --now etcd.service
  else
    run systemctl --root="$ROOT" --quiet disable etcd.service
  fi
  record disabled-unit etcd.service
}

fix_cmdline() {
  [ "$FIX_CMDLINE" = 1 ] && [ "$MEMORY_CGROUP_OK" = 0 ] && [ -n "$CMDLINE_FILE" ] || return 0
  local file added=() token
  file="$(target "$CMDLINE_FILE")"
  for token in $CGROUP_TOKENS; do
    grep -qE "(^| )$token( |$)" "$file" || added+=("$token")
  done
  [ "${#added[@]}" -gt 0 ] || return 0
  step "Enabling the memory cgroup in $CMDLINE_FILE (reboot needed)"
  if [ "$DRY_RUN" = 1 ]; then
    say "+ append \"${added[*]}\" to the first line of $file"
    return 0
  fi
  # cmdline.txt is one line; append to it, keeping everything else byte for byte.
  sed -i "1s/[[:space:]]*\$/ ${added[*]}/" "$file"
  record cmdline "$CMDLINE_FILE ${added[*]}"
  REBOOT_NEEDED=1
}

install_orchard() {
  step "Installing Orchard into $PREFIX"
  local dest staging
  dest="$(target "$PREFIX")"
  staging="$dest.new"
  make_dir "$(dirname "$PREFIX")" 0755
  run rm -rf "$staging"
  run mkdir -p "$staging"
  if [ "$DRY_RUN" = 0 ]; then
    # A failed copy or build leaves no half-built tree behind.
    STAGING="$staging"
    trap 'rm -rf "$STAGING"' EXIT
  fi
  local excludes=(--exclude=./.git --exclude=./test --exclude=./bench --exclude='*.log')
  # Build state is left behind too: a stale *.tsbuildinfo would make tsc -b skip the build.
  [ "$BUILD" = 1 ] && excludes+=(--exclude=./node_modules --exclude='./packages/*/node_modules' --exclude='./packages/*/dist' --exclude='*.tsbuildinfo')
  if [ "$DRY_RUN" = 1 ]; then
    say "+ copy $SOURCE_DIR to $staging (without .git, test, bench$([ "$BUILD" = 1 ] && printf ', node_modules, dist'))"
  else
    tar -C "$SOURCE_DIR" "${excludes[@]}" -cf - . | tar -C "$staging" -xf -
  fi
  if [ "$BUILD" = 1 ]; then
    # Full install to compile (TypeScript is a dev dependency), then drop dev dependencies.
    # Under --root this runs on this machine. The result runs on any architecture: the only
    # native module (cpu-features, optional for ssh2 in dockerode) is skipped when it does
    # not load.
    local build="npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund"
    if [ "$DRY_RUN" = 1 ]; then
      say "+ cd $staging && $build"
    else
      (cd "$staging" && sh -c "$build") || die "building Orchard in $staging failed (see npm's output above)"
    fi
  fi
  run rm -rf "$dest"
  run mv "$staging" "$dest"
  [ "$DRY_RUN" = 1 ] || trap - EXIT
  record tree "$PREFIX"
}

link_binaries() {
  step "Linking commands into /usr/local/bin"
  make_dir /usr/local/bin 0755
  local pkg bin
  for pkg in master:orchard-master agent:orchard-agent cli:orchard; do
    bin="${pkg#*:}"
    run ln -sfn "$PREFIX/packages/${pkg%%:*}/bin/$bin" "$(target "/usr/local/bin/$bin")"
    record symlink "/usr/local/bin/$bin"
  done
}

config_from_template() {
  if [ -n "$CONFIG_FILE" ]; then
    cat "$CONFIG_FILE"
    return 0
  fi
  local template="$SCRIPT_DIR/config/$MODE.yaml"
  local edits=()
  if [ "$MODE" = agent ]; then
    edits+=(-e "s|^server: MASTER:7443\$|server: $JOIN|")
    [ -n "$NODE_NAME" ] && edits+=(-e "s|^# node-name: pi1\$|node-name: $NODE_NAME|")
  else
    [ -n "$NODE_NAME" ] && edits+=(-e "s|^# name: pi-master\$|name: $NODE_NAME|")
  fi
  if [ "${#edits[@]}" -gt 0 ]; then sed "${edits[@]}" "$template"; else cat "$template"; fi
}

write_configs() {
  step "Writing configuration to /etc/orchard"
  make_dir /etc/orchard 0755
  config_from_template | write_file "/etc/orchard/$MODE.yaml" 0644 keep
  [ "$MODE" = master ] || return 0

  local name arm=""
  name="$NODE_NAME"
  [ -n "$name" ] || name="$(cat "$(target /etc/hostname)" 2>/dev/null || true)"
  [ -n "$name" ] || name="$(hostname)"
  [ "$ARCH" = armhf ] && arm="# etcd refuses 32-bit ARM unless told it is wanted.
ETCD_UNSUPPORTED_ARCH=arm"
  sed -e "s|@NAME@|$name|g" "$SCRIPT_DIR/config/etcd.env" |
    awk -v arm="$arm" '{ if ($0 == "@ARM@") { if (arm != "") print arm } else print }' |
    write_file /etc/orchard/etcd.env 0644 keep

  # The first master creates the cluster server secret; a joining master receives it
  # when it joins (orchard-master join), so it must not invent its own.
  if [ -z "$JOIN" ]; then
    head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | write_file /etc/orchard/server-secret 0600 keep
  fi
}

install_units() {
  step "Installing systemd units"
  make_dir /etc/systemd/system 0755
  local unit
  for unit in "${UNITS[@]}"; do
    write_file "/etc/systemd/system/$unit" 0644 replace <"$SCRIPT_DIR/systemd/$unit"
  done
}

join_cluster() {
  [ -n "$JOIN" ] || return 0
  # --join-only: store the credentials and return; the service started next runs the daemon.
  local cmd=("/usr/local/bin/orchard-$MODE" join "$JOIN" --token "$TOKEN" --discovery-token-ca-cert-hash "$CA_HASH" --join-only --config "/etc/orchard/$MODE.yaml")
  [ -n "$NODE_NAME" ] && [ "$MODE" = agent ] && cmd+=(--node-name "$NODE_NAME")
  local shown="${cmd[*]}"
  shown="${shown/$TOKEN/$(mask_token "$TOKEN")}"
  if [ "$DRY_RUN" = 1 ] || [ "$ROOT" != / ]; then
    step "Joining the cluster at $JOIN (not run: $([ "$DRY_RUN" = 1 ] && printf 'dry run' || printf -- '--root'))"
    say "+ $shown"
    [ "$ROOT" != / ] && say "    run it on the machine itself before starting orchard-$MODE"
    return 0
  fi
  step "Joining the cluster at $JOIN"
  say "+ $shown"
  # The credentials it writes (data-dir/pki) are data: uninstall.sh keeps them unless --purge.
  record data "$(data_dir)"
  "${cmd[@]}" || die "joining failed (see the message above); fix it and run this script again (it is safe to re-run), or undo everything with: $PREFIX/deploy/uninstall.sh"
}

enable_services() {
  step "Enabling ${UNITS[*]}"
  [ "$MODE" = master ] && record data /var/lib/orchard-etcd
  record data "$(data_dir)"
  local unit
  if systemd_running; then
    run systemctl daemon-reload
    for unit in "${UNITS[@]}"; do
      run systemctl enable --now "$unit"
      record enabled-unit "$unit"
    done
    return 0
  fi
  # No running systemd (an image under --root, a container): enable for the next boot.
  # systemctl creates the .wants folder if needed; record it so uninstall removes it.
  if [ ! -d "$(target /etc/systemd/system/multi-user.target.wants)" ] && [ "$DRY_RUN" = 0 ]; then
    record dir /etc/systemd/system/multi-user.target.wants
  fi
  for unit in "${UNITS[@]}"; do
    if command -v systemctl >/dev/null 2>&1; then
      run systemctl --root="$ROOT" --quiet enable "$unit"
    else
      run mkdir -p "$(target /etc/systemd/system/multi-user.target.wants)"
      run ln -sfn "/etc/systemd/system/$unit" "$(target "/etc/systemd/system/multi-user.target.wants/$unit")"
    fi
    record enabled-unit "$unit"
  done
  say "    systemd is not running here: the services start at the next boot"
  [ "$ROOT" = / ] && say "    (to start them by hand: systemctl start ${UNITS[*]})"
  return 0
}

summary() {
  say ""
  if [ "$DRY_RUN" = 1 ]; then
    say "Dry run: nothing was changed."
    return 0
  fi
  say "Orchard $MODE installed$(root_note into). Manifest: $(target "$MANIFEST")"
  [ "${REBOOT_NEEDED:-0}" = 1 ] && say "Reboot now to enable the memory cgroup."
  if [ "$MODE" = master ] && [ -z "$JOIN" ]; then
    say "Next:"
    say "  admin credentials: sudo install -D -m 600 /var/lib/orchard/admin.conf ~/.orchard/config"
    say "  add a node:        orchard token create --print-join-command"
  fi
  say "Remove everything again with: $PREFIX/deploy/uninstall.sh$(root_note --root)"
}

main() {
  parse_args "$@"
  if [ "$MODE" = master ]; then UNITS=(orchard-etcd.service orchard-master.service); else UNITS=(orchard-agent.service); fi

  step "Checking the system"
  detect_arch
  detect_os
  check_memory_cgroup
  plan_packages
  check_conflicts
  # Nothing has been changed up to here.

  install_packages
  disable_debian_etcd
  fix_cmdline
  install_orchard
  link_binaries
  write_configs
  install_units
  join_cluster
  enable_services
  summary
}

main "$@"
