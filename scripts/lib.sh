# Shared shell functions of scripts/run-local and scripts/test. Source it; do not run it.

# The project's root folder.
BAOCAO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the packages of scripts/packages that are missing (with apt-get when root).
install_deps() {
	local missing=() pkg
	while read -r pkg; do
		case "$pkg" in ''|'#'*) continue ;; esac
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done < "$BAOCAO_ROOT/scripts/packages"
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
	fi
	say "installing: ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/baocao-apt.log 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/tmp/baocao-apt.log 2>&1 ||
			die "apt-get update failed; see /tmp/baocao-apt.log"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/baocao-apt.log 2>&1 ||
			die "apt-get install failed; see /tmp/baocao-apt.log"
	fi
}

# The browser tests' Node packages: Debian's npm when no npm is installed (a nodejs from
# elsewhere brings its own), then npm ci in tests/browser from its committed lock file.
install_browser_deps() {
	if ! command -v npm >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] || die "npm is missing; install it with: sudo apt-get install npm"
		say "installing: npm"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm \
			>>/tmp/baocao-apt.log 2>&1 || die "apt-get install npm failed; see /tmp/baocao-apt.log"
	fi
	(cd "$BAOCAO_ROOT/tests/browser" && npm ci --no-audit --no-fund >/tmp/baocao-npm.log 2>&1) ||
		say "warning: npm ci in tests/browser failed (see /tmp/baocao-npm.log); the browser tests will fail"
}

# Configures (once) and builds a meson build folder: build_dir DIR [meson options...].
build_dir() {
	local dir=$1; shift
	if [ ! -f "$BAOCAO_ROOT/$dir/build.ninja" ]; then
		meson setup "$BAOCAO_ROOT/$dir" "$BAOCAO_ROOT" "$@" >/dev/null ||
			die "meson setup $dir failed"
	fi
	ninja -C "$BAOCAO_ROOT/$dir" >/tmp/baocao-build-$$.log 2>&1 || {
		cat /tmp/baocao-build-$$.log >&2
		die "build in $dir failed"
	}
	rm -f /tmp/baocao-build-$$.log
}
