# Shared helpers of poi's scripts. Source it; do not run it.
# shellcheck shell=bash

set -Eeuo pipefail

POI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export POI_ROOT
# The target directory lives outside the checkout so that CI and later sessions start warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/poi-target}"
export POI_NODE_BIN="${POI_NODE_BIN:-$CARGO_TARGET_DIR/release/poi-node}"
export POI_RUNNER_BIN="${POI_RUNNER_BIN:-$CARGO_TARGET_DIR/release/poi-runner}"
# The candle-gpt trainer (gpu-runner/gpt, its own workspace and target directory); the runner
# finds it through this variable.
export POI_GPT_TARGET_DIR="$CARGO_TARGET_DIR/poi-gpt"
export POI_GPT_BIN="${POI_GPT_BIN:-$POI_GPT_TARGET_DIR/release/poi-gpt}"

# The step now running; `fail_trap` names it when a command fails.
POI_STEP="start"

step() {
	POI_STEP="$*"
	printf '\n==> %s\n' "$*"
}

fail_trap() {
	local rc=$?
	printf '\n*** FAILED (exit %s) during step: %s\n' "$rc" "$POI_STEP" >&2
	exit "$rc"
}
trap fail_trap ERR

# Runs a command as root (directly when we are root, through sudo otherwise).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what building the node needs: Debian packages and the Rust targets.
install_build_deps() {
	step "checking Debian packages (clang, protoc, libssl, pkg-config; bubblewrap and python3 for the runner's command sandbox)"
	local missing=()
	for pkg in clang libclang-dev protobuf-compiler libssl-dev pkg-config bubblewrap python3 util-linux; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing: ${missing[*]}"
		as_root apt-get update -qq
		DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
	fi

	step "checking Rust targets (wasm32v1-none, wasm32-unknown-unknown), rust-src and rustfmt"
	local installed
	installed="$(rustup target list --installed)"
	for target in wasm32v1-none wasm32-unknown-unknown; do
		grep -qx "$target" <<<"$installed" || rustup target add "$target"
	done
	local components
	components="$(rustup component list --installed)"
	for component in rust-src rustfmt; do
		grep -q "^$component" <<<"$components" || rustup component add "$component"
	done
}

# Builds the workspace (poi-node, poi-runner, poi; release, locked), then the runner's candle-gpt
# trainer, and reports how long it took.
build_node() {
	step "building poi-node, poi-runner and poi (release) into $CARGO_TARGET_DIR"
	local start end
	start=$(date +%s)
	cargo build --release --locked --workspace
	step "building poi-gpt, the candle-gpt trainer (release) into $POI_GPT_TARGET_DIR"
	cargo build --release --locked --manifest-path "$POI_ROOT/gpu-runner/gpt/Cargo.toml" \
		--target-dir "$POI_GPT_TARGET_DIR"
	# Beside the runner too, where `poi-runner` (and so `poi`'s local evaluations) look first.
	ln -f "$POI_GPT_TARGET_DIR/release/poi-gpt" "$CARGO_TARGET_DIR/release/poi-gpt"
	build_dashboard
	end=$(date +%s)
	echo "build took $((end - start)) s"
}

# Builds the live dashboard (dashboard/: npm packages, then esbuild into dashboard/dist) and puts
# it beside the `poi` binary, where `poi dashboard` serves it from.
build_dashboard() {
	npm_install "$POI_ROOT/dashboard"
	step "building the dashboard (esbuild) into $CARGO_TARGET_DIR/release/dashboard"
	node "$POI_ROOT/dashboard/build.mjs"
	rm -rf "$CARGO_TARGET_DIR/release/dashboard"
	cp -r "$POI_ROOT/dashboard/dist" "$CARGO_TARGET_DIR/release/dashboard"
}

# Fails with a clear message unless the node binary has been built.
require_node() {
	[ -x "$POI_NODE_BIN" ] || {
		echo "poi-node not found at $POI_NODE_BIN: build it first (scripts/build.sh)" >&2
		exit 1
	}
}

# Installs the npm packages of a project-local folder (package-lock.json pins them).
npm_install() {
	local dir="$1"
	step "installing npm packages in ${dir#"$POI_ROOT"/}"
	command -v npm >/dev/null || {
		as_root apt-get update -qq
		DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm
	}
	if [ -f "$dir/node_modules/.package-lock.json" ] &&
		cmp -s "$dir/package-lock.json" "$dir/node_modules/.poi-lock-copy"; then
		echo "up to date"
		return
	fi
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$dir/package-lock.json" "$dir/node_modules/.poi-lock-copy"
}
