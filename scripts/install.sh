#!/bin/sh
# Installs the claude-coord binary for this machine: the GitHub release archive (SHA-256 checked), else the npm registry (sha512 checked). POSIX sh.
#
#   curl -fsSL https://raw.githubusercontent.com/claude-coord/claude-coord/main/scripts/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --version 0.2.0 --bin-dir /opt/bin
#
# Flags (each has an environment variable; the flag wins):
#   --version V        CLAUDE_COORD_INSTALL_VERSION  a release such as 0.2.0 (default: the latest)
#   --bin-dir DIR      CLAUDE_COORD_INSTALL_DIR      where the binary goes (default: ~/.local/bin; no sudo)
#   --source S         CLAUDE_COORD_INSTALL_SOURCE   auto (GitHub, then npm), github or npm (default: auto)
#   --base-url URL     CLAUDE_COORD_RELEASE_URL      release base (default: https://github.com/claude-coord/claude-coord/releases);
#                                                    files are read from <URL>/latest/download/<file> and <URL>/download/v<V>/<file>
#   --npm-registry URL CLAUDE_COORD_NPM_REGISTRY     npm registry (default: https://registry.npmjs.org)
# Exit codes: 0 installed or already installed, 1 cannot download or unsupported machine,
#             2 verification failed (checksum, integrity, or the binary does not run), 64 usage.
set -eu

GITHUB_REPO="claude-coord/claude-coord"
NPM_PACKAGE="claude-coord"

say() { printf '%s\n' "$*"; }

# die MESSAGE ACTION [EXIT]: the error in the CLI's shape (ERROR / ACTION REQUIRED) on stderr, then exit.
die() {
  printf 'ERROR: %s\n' "$1" >&2
  if [ -n "${2:-}" ]; then printf '\nACTION REQUIRED: %s\n' "$2" >&2; fi
  exit "${3:-1}"
}

# detect_os: linux, darwin or windows (Git Bash, MSYS, Cygwin); fails on anything else.
detect_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) echo windows ;;
    *) return 1 ;;
  esac
}

# detect_arch OS: x64 or arm64; an x64 shell under Rosetta 2 on Apple silicon gets arm64 (the native build).
detect_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) _arch=x64 ;;
    aarch64 | arm64 | armv8*) _arch=arm64 ;;
    *) return 1 ;;
  esac
  if [ "$1" = darwin ] && [ "$_arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
    _arch=arm64
  fi
  echo "$_arch"
}

# detect_libc OS: prints musl on a musl Linux (Alpine), nothing otherwise.
detect_libc() {
  [ "$1" = linux ] || return 0
  if ldd --version 2>&1 | grep -qi musl; then
    echo musl
    return 0
  fi
  for _f in /lib/ld-musl-*.so.1; do
    if [ -e "$_f" ]; then
      echo musl
      return 0
    fi
  done
  return 0
}

# target_id OS ARCH [LIBC]: os-arch[-musl], as in scripts/targets.ts.
target_id() {
  if [ "${3:-}" = musl ]; then echo "$1-$2-musl"; else echo "$1-$2"; fi
}

# asset_name OS ARCH [LIBC]: claude-coord-<os>-<arch>[-musl].tar.gz (.zip for Windows), as in scripts/targets.ts.
asset_name() {
  if [ "$1" = windows ]; then _ext=zip; else _ext=tar.gz; fi
  echo "claude-coord-$(target_id "$1" "$2" "${3:-}").$_ext"
}

# npm_package_name OS ARCH [LIBC]: the platform package carrying the binary, as in scripts/targets.ts.
npm_package_name() {
  echo "$NPM_PACKAGE-$(target_id "$1" "$2" "${3:-}")"
}

# binary_name OS: claude-coord, or claude-coord.exe on Windows.
binary_name() {
  if [ "$1" = windows ]; then echo claude-coord.exe; else echo claude-coord; fi
}

# fetch URL FILE: downloads with curl or wget; fails on any HTTP error or network failure. One retry
# and a 10 s connect timeout: a sandbox that silently drops github.com costs at most ~20 s before
# the npm fallback.
fetch() {
  FETCHED=$1
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 10 --retry 1 -o "$2" "$1" 2>/dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 10 -t 2 -O "$2" "$1"
  else
    die "Neither curl nor wget is installed." "Install curl (apt-get install curl, apk add curl), then run this script again."
  fi
}

# hash_hex ALGO FILE: hex digest (ALGO 256 or 512) with sha256sum/sha512sum, shasum or openssl.
hash_hex() {
  if command -v "sha$1sum" >/dev/null 2>&1; then
    "sha$1sum" "$2" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a "$1" "$2" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst "-sha$1" "$2" | sed 's/^.*= *//'
  else
    die "No SHA-$1 tool (sha$1sum, shasum or openssl) is installed, so the download cannot be verified." "Install coreutils or openssl, then run this script again."
  fi
}

# base64_hex TEXT: the bytes a base64 text encodes, as lowercase hex.
base64_hex() {
  { printf '%s' "$1" | base64 -d 2>/dev/null || printf '%s' "$1" | base64 -D 2>/dev/null || printf '%s' "$1" | openssl base64 -d -A 2>/dev/null; } | od -An -v -tx1 | tr -d ' \n'
}

# json_field KEY FILE: the first string value of "KEY" in a flat npm manifest (no JSON tool needed).
json_field() {
  tr ',{}' '\n\n\n' <"$2" | sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

# installed_version FILE: what FILE --version prints, or nothing.
installed_version() {
  if [ -x "$1" ]; then "$1" --version 2>/dev/null || true; fi
}

# already_installed VERSION: exits 0 when the destination already runs that version.
already_installed() {
  if [ "$(installed_version "$DEST")" = "$1" ]; then
    say "claude-coord $1 is already installed at $DEST; nothing to do."
    path_hint
    exit 0
  fi
}

# check_version TEXT: a release version (semver; a leading v removed), else exit 64.
check_version() {
  _v=${1#v}
  case "$_v" in
    "" | *[!0-9A-Za-z.+-]*) die "'$1' is not a version such as 0.2.0." "Pass --version X.Y.Z (or nothing for the latest release)." 64 ;;
  esac
  case "$_v" in
    [0-9]*.[0-9]*.[0-9]*) echo "$_v" ;;
    *) die "'$1' is not a version such as 0.2.0." "Pass --version X.Y.Z (or nothing for the latest release)." 64 ;;
  esac
}

# from_github: downloads and verifies the release archive into $TMP/bin; status 1 when the release cannot
# be downloaded. It runs as an `if` condition, where `set -e` is off: every step checks its own status.
from_github() {
  if [ -z "$VERSION" ]; then
    fetch "$RELEASE_URL/latest/download/VERSION" "$TMP/VERSION" || return 1
    VERSION=$(check_version "$(tr -d ' \r\n' <"$TMP/VERSION")") || exit $?
  fi
  already_installed "$VERSION"
  _base="$RELEASE_URL/download/v$VERSION"
  say "Downloading $ASSET (claude-coord $VERSION) from $_base ..."
  fetch "$_base/SHA256SUMS" "$TMP/SHA256SUMS" || return 1
  fetch "$_base/$ASSET" "$TMP/$ASSET" || return 1
  _want=$(awk -v a="$ASSET" '$2 == a || $2 == "*" a { print $1; exit }' "$TMP/SHA256SUMS")
  [ -n "$_want" ] || die "SHA256SUMS of release v$VERSION has no line for $ASSET. Nothing was installed." "Report this to the maintainers; install nothing from this release." 2
  _got=$(hash_hex 256 "$TMP/$ASSET") || exit $?
  if [ "$_got" != "$_want" ]; then
    die "Checksum mismatch for $ASSET: SHA256SUMS says $_want, the download is $_got. Nothing was installed." "Run the installer again; if it still fails, the download was tampered with or corrupted: report it." 2
  fi
  mkdir -p "$TMP/bin" || exit 1
  if [ "$OS" = windows ]; then
    unzip -q -o "$TMP/$ASSET" "$EXE" -d "$TMP/bin" || die "Cannot unpack $ASSET." "Install unzip, then run this script again." 2
  else
    tar -xzf "$TMP/$ASSET" -C "$TMP/bin" "$EXE" || die "Cannot unpack $ASSET." "Run the installer again." 2
  fi
  SOURCE_USED="GitHub release v$VERSION"
}

# from_npm: downloads and verifies the platform package from the npm registry into $TMP/bin.
from_npm() {
  _pkg=$(npm_package_name "$OS" "$ARCH" "$LIBC")
  _spec=${VERSION:-latest}
  say "Looking up $_pkg@$_spec on $NPM_REGISTRY ..."
  if ! fetch "$NPM_REGISTRY/$_pkg/$_spec" "$TMP/manifest.json"; then
    die "Cannot download claude-coord: neither the release ($RELEASE_URL) nor the npm registry ($NPM_REGISTRY/$_pkg/$_spec) answered." "Check the network (a sandbox may need github.com or registry.npmjs.org on its allowlist), or run 'npx claude-coord@${VERSION:-latest} --version'."
  fi
  _v=$(json_field version "$TMP/manifest.json")
  _tarball=$(json_field tarball "$TMP/manifest.json")
  _integrity=$(json_field integrity "$TMP/manifest.json")
  [ -n "$_v" ] && [ -n "$_tarball" ] || die "The npm registry's answer for $_pkg@$_spec has no version or tarball." "Check --npm-registry / CLAUDE_COORD_NPM_REGISTRY."
  if [ -n "$VERSION" ] && [ "$_v" != "$VERSION" ]; then
    die "The npm registry answered version $_v for $_pkg@$VERSION." "Check --npm-registry / CLAUDE_COORD_NPM_REGISTRY." 2
  fi
  VERSION=$_v
  already_installed "$VERSION"
  case "$_integrity" in
    sha512-*) ;;
    *) die "The npm registry gives no sha512 integrity for $_pkg@$VERSION, so it cannot be verified. Nothing was installed." "Install from the GitHub release instead (--source github)." 2 ;;
  esac
  say "Downloading $_pkg@$VERSION from $_tarball ..."
  fetch "$_tarball" "$TMP/package.tgz" || die "Cannot download $_tarball." "Check the network, then run the installer again."
  _want=$(base64_hex "${_integrity#sha512-}")
  _got=$(hash_hex 512 "$TMP/package.tgz")
  if [ "$_got" != "$_want" ]; then
    die "Integrity mismatch for $_pkg@$VERSION: the registry says sha512 $_want, the download is $_got. Nothing was installed." "Run the installer again; if it still fails, report it." 2
  fi
  mkdir -p "$TMP/npm" "$TMP/bin"
  tar -xzf "$TMP/package.tgz" -C "$TMP/npm" || die "Cannot unpack $_pkg@$VERSION." "Run the installer again." 2
  [ -f "$TMP/npm/package/bin/$EXE" ] || die "$_pkg@$VERSION holds no bin/$EXE." "Report it to the maintainers." 2
  mv "$TMP/npm/package/bin/$EXE" "$TMP/bin/$EXE"
  SOURCE_USED="npm package $_pkg@$VERSION"
}

# path_hint: how to put the bin dir on PATH, when it is not there.
path_hint() {
  case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *)
      say ""
      say "$BIN_DIR is not on your PATH. Add it (and put the same line in ~/.profile, ~/.bashrc or ~/.zshrc):"
      say "  export PATH=\"$BIN_DIR:\$PATH\""
      ;;
  esac
}

usage() {
  cat <<EOF
Installs claude-coord for this machine (GitHub release, else the npm registry).
Usage: install.sh [--version V] [--bin-dir DIR] [--source auto|github|npm] [--base-url URL] [--npm-registry URL]
  --version V         a release such as 0.2.0 (default: the latest)     CLAUDE_COORD_INSTALL_VERSION
  --bin-dir DIR       where the binary goes (default: ~/.local/bin)      CLAUDE_COORD_INSTALL_DIR
  --source S          auto (GitHub, then npm), github or npm             CLAUDE_COORD_INSTALL_SOURCE
  --base-url URL      release base (default: https://github.com/$GITHUB_REPO/releases)
                                                                         CLAUDE_COORD_RELEASE_URL
  --npm-registry URL  npm registry (default: https://registry.npmjs.org) CLAUDE_COORD_NPM_REGISTRY
Exit codes: 0 installed or already installed, 1 cannot download or unsupported machine,
2 verification failed (nothing installed), 64 usage.
EOF
}

main() {
  VERSION=${CLAUDE_COORD_INSTALL_VERSION:-}
  BIN_DIR=${CLAUDE_COORD_INSTALL_DIR:-}
  SOURCE=${CLAUDE_COORD_INSTALL_SOURCE:-auto}
  RELEASE_URL=${CLAUDE_COORD_RELEASE_URL:-https://github.com/$GITHUB_REPO/releases}
  NPM_REGISTRY=${CLAUDE_COORD_NPM_REGISTRY:-https://registry.npmjs.org}
  while [ $# -gt 0 ]; do
    case "$1" in
      --version | --bin-dir | --source | --base-url | --npm-registry)
        [ $# -ge 2 ] || die "$1 needs a value." "See the flags at the top of install.sh." 64
        _flag=$1 _value=$2
        shift 2
        ;;
      --version=* | --bin-dir=* | --source=* | --base-url=* | --npm-registry=*)
        _flag=${1%%=*} _value=${1#*=}
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "Unknown argument '$1'." "Flags: --version V, --bin-dir DIR, --source auto|github|npm, --base-url URL, --npm-registry URL." 64 ;;
    esac
    case "$_flag" in
      --version) VERSION=$_value ;;
      --bin-dir) BIN_DIR=$_value ;;
      --source) SOURCE=$_value ;;
      --base-url) RELEASE_URL=$_value ;;
      --npm-registry) NPM_REGISTRY=$_value ;;
    esac
  done
  if [ "$VERSION" = latest ]; then VERSION=""; fi
  if [ -n "$VERSION" ]; then VERSION=$(check_version "$VERSION"); fi
  case "$SOURCE" in
    auto | github | npm) ;;
    *) die "--source must be auto, github or npm, got '$SOURCE'." "Pass --source auto." 64 ;;
  esac
  RELEASE_URL=${RELEASE_URL%/}
  NPM_REGISTRY=${NPM_REGISTRY%/}
  if [ -z "$BIN_DIR" ]; then
    [ -n "${HOME:-}" ] || die "HOME is not set, so the default bin dir ~/.local/bin is unknown." "Pass --bin-dir DIR."
    BIN_DIR="$HOME/.local/bin"
  fi

  OS=$(detect_os) || die "Unsupported operating system '$(uname -s)'." "claude-coord is released for Linux, macOS and Windows; on others run 'npx claude-coord'."
  ARCH=$(detect_arch "$OS") || die "Unsupported CPU '$(uname -m)'." "claude-coord is released for x64 and arm64; on others run 'npx claude-coord'."
  LIBC=$(detect_libc "$OS")
  ASSET=$(asset_name "$OS" "$ARCH" "$LIBC")
  EXE=$(binary_name "$OS")
  DEST="$BIN_DIR/$EXE"

  TMP=$(mktemp -d 2>/dev/null || mktemp -d -t claude-coord)
  trap 'rm -rf "$TMP"' EXIT
  trap 'rm -rf "$TMP"; exit 130' INT TERM

  SOURCE_USED=""
  if [ "$SOURCE" != npm ]; then
    if ! from_github; then
      [ "$SOURCE" = auto ] || die "Cannot download claude-coord from $RELEASE_URL." "Check the network, or run the installer with --source npm."
      say "Cannot download $FETCHED (blocked or missing); trying the npm registry."
    fi
  fi
  if [ -z "$SOURCE_USED" ]; then from_npm; fi

  chmod 755 "$TMP/bin/$EXE"
  _ran=$("$TMP/bin/$EXE" --version 2>/dev/null || true)
  if [ "$_ran" != "$VERSION" ]; then
    die "The downloaded binary ($(target_id "$OS" "$ARCH" "$LIBC")) does not run here (it printed '$_ran', expected '$VERSION'). Nothing was installed." "Run 'npx claude-coord@$VERSION --version' instead, and report the machine (uname -a) to the maintainers." 2
  fi
  mkdir -p "$BIN_DIR" || die "Cannot create $BIN_DIR." "Pass a writable --bin-dir DIR."
  cp "$TMP/bin/$EXE" "$BIN_DIR/.$EXE.new.$$" || die "Cannot write into $BIN_DIR." "Pass a writable --bin-dir DIR."
  chmod 755 "$BIN_DIR/.$EXE.new.$$"
  mv -f "$BIN_DIR/.$EXE.new.$$" "$DEST"
  say "Installed claude-coord $VERSION ($(target_id "$OS" "$ARCH" "$LIBC"), from the $SOURCE_USED) at $DEST"
  path_hint
}

# Everything above only defines functions, so a truncated download runs nothing; tests set
# CLAUDE_COORD_INSTALL_LIB=1 to load the functions without installing.
if [ "${CLAUDE_COORD_INSTALL_LIB:-}" != 1 ]; then main "$@"; fi
