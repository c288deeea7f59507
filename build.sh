#!/usr/bin/env bash
# build.sh — build and test kagi.
#
#   ./build.sh          build build/libkagi.so (the PKCS#11 module) and build/kagi
#   ./build.sh test     build, then run every test
#   ./build.sh run      build, then the quick start
#   ./build.sh bench    build, then the benchmarks
#
# Each subcommand is a list of steps (functions below); add a step to the
# list rather than growing a step.
set -euo pipefail

cd "$(dirname "$0")"
BUILD=build

step() { printf '==> %s\n' "$*" >&2; }

build_module() {
	step "go build -buildmode=c-shared -o $BUILD/libkagi.so ./cmodule"
	mkdir -p "$BUILD"
	go build -buildmode=c-shared -o "$BUILD/libkagi.so" ./cmodule
	# The generated C header of the kagiGo_* exports is of no use to anyone:
	# applications include pkcs11.h.
	rm -f "$BUILD/libkagi.h"
}

build_command() {
	# cmd/kagi may not exist yet while the tree is being built up.
	if ! compgen -G "cmd/kagi/*.go" >/dev/null; then
		step "skipping build/kagi: cmd/kagi has no Go files yet"
		return 0
	fi
	step "go build -o $BUILD/kagi ./cmd/kagi"
	mkdir -p "$BUILD"
	go build -o "$BUILD/kagi" ./cmd/kagi
}

build_all() {
	build_module
	build_command
}

run_go_tests() {
	step "go test ./..."
	go test ./...
}

cmd=${1:-build}
case "$cmd" in
build)
	build_all
	;;
test)
	build_all
	run_go_tests
	;;
run)
	build_all
	# TODO: the quick start (a token on the default database, then the main job).
	;;
bench)
	build_all
	# TODO: go run ./tests/bench
	;;
*)
	echo "usage: $0 [test|run|bench]" >&2
	exit 2
	;;
esac
