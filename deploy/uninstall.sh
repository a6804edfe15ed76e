#!/usr/bin/env bash
# Removes what deploy/install.sh installed, exactly: it reads the manifest install.sh
# wrote (/var/lib/orchard-install.manifest) and undoes each entry, newest first.
# Cluster data (etcd data, node credentials, the CA) is kept unless --purge is given.
#
#   uninstall.sh [--purge] [--keep-packages] [--root DIR] [--dry-run]
set -euo pipefail

readonly MANIFEST=/var/lib/orchard-install.manifest

usage() {
  cat <<'EOF'
Usage: uninstall.sh [options]

Undoes deploy/install.sh: stops and disables the Orchard services, removes /opt/orchard,
the commands in /usr/local/bin, the units, the configuration it wrote, the boot
command-line change it made, and the Debian packages it installed (only those that were
not installed before). Cluster data is kept unless --purge is given.

Options:
  --purge           also delete cluster data: /var/lib/orchard (CA, credentials) and
                    /var/lib/orchard-etcd (all cluster state on this master)
  --keep-packages   leave the Debian packages install.sh added (docker.io, etcd-server, ...)
  --root DIR        uninstall from DIR instead of /
  --dry-run         print what would be done; change nothing
  -h, --help        this text
EOF
}

say() { printf '%s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

ROOT=/
DRY_RUN=0
PURGE=0
KEEP_PACKAGES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--root needs a value"; fi
      ROOT="$2"
      shift 2
      ;;
    --purge) PURGE=1; shift ;;
    --keep-packages) KEEP_PACKAGES=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option \"$1\" (see --help)" ;;
  esac
done
[ -d "$ROOT" ] || die "--root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd)"
if [ "$ROOT" = / ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
  die "run as root (sudo), or use --dry-run to see what would be done"
fi

target() {
  if [ "$ROOT" = / ]; then printf '%s' "$1"; else printf '%s%s' "$ROOT" "$1"; fi
}

run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

in_target() {
  if [ "$ROOT" = / ]; then "$@"; else chroot "$ROOT" "$@"; fi
}

systemd_running() {
  [ "$ROOT" = / ] && [ -d /run/systemd/system ]
}

manifest="$(target "$MANIFEST")"
[ -f "$manifest" ] || die "no install manifest at $manifest: nothing was installed by deploy/install.sh here"

# Entries are undone newest first, so services stop before their files go and folders
# are empty by the time they are removed.
mapfile -t entries < <(grep -v '^#' "$manifest" | grep -v '^[[:space:]]*$' | tac)

disable_unit() {
  local unit="$1"
  if systemd_running; then
    run systemctl disable --now "$unit" || true
  elif command -v systemctl >/dev/null 2>&1; then
    run systemctl --root="$ROOT" --quiet disable "$unit" || true
  else
    run rm -f "$(target "/etc/systemd/system/multi-user.target.wants/$unit")"
  fi
}

# Re-enables a unit install.sh had disabled (Debian's etcd.service), if it still exists.
enable_unit() {
  local unit="$1"
  [ -e "$(target "/lib/systemd/system/$unit")" ] || [ -e "$(target "/usr/lib/systemd/system/$unit")" ] || return 0
  if systemd_running; then
    run systemctl enable "$unit" || true
  elif command -v systemctl >/dev/null 2>&1; then
    run systemctl --root="$ROOT" --quiet enable "$unit" || true
  fi
}

# Removes only the words install.sh appended to cmdline.txt, keeping any later edits.
restore_cmdline() {
  local file="$1" word
  shift
  file="$(target "$file")"
  [ -f "$file" ] || return 0
  for word in "$@"; do
    if [ "$DRY_RUN" = 1 ]; then
      say "+ remove \"$word\" from $file"
    else
      sed -i -E "1s/(^| )$word( |\$)/\\1\\2/; 1s/  +/ /g; 1s/ +\$//" "$file"
    fi
  done
  say "    reboot for the boot command line change to take effect"
}

packages=()
kept_data=()
for entry in "${entries[@]}"; do
  kind="${entry%% *}"
  value="${entry#* }"
  case "$kind" in
    enabled-unit)
      say "==> disabling $value"
      disable_unit "$value"
      ;;
    disabled-unit)
      say "==> re-enabling $value"
      enable_unit "$value"
      ;;
    file | symlink)
      if [ -e "$(target "$value")" ] || [ -L "$(target "$value")" ]; then
        say "==> removing $value"
        run rm -f "$(target "$value")"
      fi
      ;;
    tree)
      say "==> removing $value"
      run rm -rf "$(target "$value")"
      ;;
    dir)
      # Only if empty: something else may have put files there since.
      if [ -d "$(target "$value")" ]; then
        if [ -z "$(ls -A "$(target "$value")")" ]; then
          run rmdir "$(target "$value")"
        elif [ "$DRY_RUN" = 0 ]; then
          say "    keeping $value (not empty)"
        fi
      fi
      ;;
    cmdline)
      say "==> undoing the boot command line change in ${value%% *}"
      # shellcheck disable=SC2086 # the words after the path are separate arguments
      restore_cmdline ${value}
      ;;
    data)
      if [ "$PURGE" = 1 ]; then
        say "==> deleting data $value"
        run rm -rf "$(target "$value")"
      elif [ -e "$(target "$value")" ]; then
        kept_data+=("$value")
      fi
      ;;
    package) packages+=("$value") ;;
    *) say "warning: unknown manifest entry \"$entry\", skipped" >&2 ;;
  esac
done

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$KEEP_PACKAGES" = 1 ]; then
    say "==> keeping Debian packages: ${packages[*]}"
  elif [ "$ROOT" != / ] && [ ! -x "$(target /usr/bin/apt-get)" ]; then
    say "==> cannot remove packages ${packages[*]}: $ROOT holds no Debian system"
  else
    say "==> removing Debian packages install.sh added: ${packages[*]}"
    # --auto-remove also takes out the dependencies these packages pulled in (containerd, runc,
    # libnode, ...) once nothing else needs them.
    run in_target env DEBIAN_FRONTEND=noninteractive apt-get remove --auto-remove -y "${packages[@]}"
  fi
fi

if systemd_running; then run systemctl daemon-reload; fi

if [ "$DRY_RUN" = 1 ]; then
  say ""
  say "Dry run: nothing was changed."
  exit 0
fi
rm -f "$manifest"
# Folders install.sh created for the manifest itself are empty only now.
for entry in "${entries[@]}"; do
  if [ "${entry%% *}" = dir ] && [ -d "$(target "${entry#* }")" ] && [ -z "$(ls -A "$(target "${entry#* }")")" ]; then
    rmdir "$(target "${entry#* }")"
  fi
done
say ""
say "Orchard removed."
if [ "${#kept_data[@]}" -gt 0 ]; then
  say "Kept cluster data: ${kept_data[*]} (delete with: $0 --purge, or rm -rf them)"
fi
