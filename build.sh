#!/usr/bin/env bash
# build.sh — build and test kagi.
#
#   ./build.sh          build build/libkagi.so (the PKCS#11 module) and build/kagi
#   ./build.sh test     build, then run every test
#   ./build.sh run      build, then the quick start
#   ./build.sh bench    build, then the benchmarks (the KMS endpoint's table
#                       also goes to build/kms-bench.md)
#   ./build.sh install  build, then install into $PREFIX (default /usr/local):
#                       lib/libkagi.so, bin/kagi and the p11-kit module file
#                       share/p11-kit/modules/kagi.module
#
# Each subcommand is a list of steps (functions below); add a step to the
# list rather than growing a step.
set -euo pipefail

# A relative PREFIX is taken from the caller's directory, before the cd.
PREFIX=${PREFIX:-/usr/local}
case "$PREFIX" in
/*) ;;
*) PREFIX="$PWD/$PREFIX" ;;
esac
cd "$(dirname "$0")"
# BUILD may be set to build elsewhere than build/ (the install test does, so
# it never rewrites the module that other tests have loaded).
BUILD=${BUILD:-build}

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

# install_files copies the module and the command under $PREFIX and writes a
# p11-kit module file naming the installed module, so p11-kit (and every
# program that loads p11-kit-proxy.so) finds kagi once that file is in a
# directory p11-kit reads (e.g. /usr/share/p11-kit/modules with PREFIX=/usr,
# or a link in /etc/pkcs11/modules or ~/.config/pkcs11/modules).
install_files() {
	step "install into $PREFIX"
	install -d "$PREFIX/lib" "$PREFIX/share/p11-kit/modules"
	install -m 0755 "$BUILD/libkagi.so" "$PREFIX/lib/libkagi.so"
	if [ -f "$BUILD/kagi" ]; then
		install -d "$PREFIX/bin"
		install -m 0755 "$BUILD/kagi" "$PREFIX/bin/kagi"
	fi
	printf '# kagi, a PKCS#11 software HSM (installed by build.sh install)\nmodule: %s\n' \
		"$PREFIX/lib/libkagi.so" >"$PREFIX/share/p11-kit/modules/kagi.module"
	chmod 0644 "$PREFIX/share/p11-kit/modules/kagi.module"
}

# Debian packages the tests drive: OpenSC's pkcs11-tool, OpenSSL, SoftHSMv2
# (the reference the benchmark, the conformance suite and the cross-module
# tests compare against), a C compiler for the fork tests, p11-kit (p11-kit
# remote, list-modules; libp11-kit0 brings p11-kit-proxy.so) with
# p11-kit-modules (p11-kit-client.so), through which a fork child is served
# by a helper process, and the clients of tests/interop: libp11's OpenSSL
# engine, GnuTLS's p11tool and certtool, NSS's modutil and certutil, a JDK
# for the SunPKCS11 tests (keytool, jarsigner, javac), nginx (its forked
# workers sign through libp11's engine) and curl; the AWS CLI and jq for
# tests/awscli (the CLI against kagi serve).
TEST_PACKAGES=(opensc openssl softhsm2 gcc libc6-dev p11-kit p11-kit-modules
	libengine-pkcs11-openssl gnutls-bin libnss3-tools openjdk-17-jdk-headless nginx curl
	awscli jq)

install_test_deps() {
	local missing=()
	for p in "${TEST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	step "apt-get install ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_format() {
	step "gofmt -l and go vet"
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$unformatted" ]; then
		echo "gofmt would change: $unformatted" >&2
		return 1
	fi
	go vet ./...
}

run_unit_tests() {
	step "go test -race ./token/... ./mech/... ./store/... ./kmsbridge/... (unit tests, race detector)"
	go test -race -count=1 ./token/... ./mech/... ./store/... ./kmsbridge/...
	step "go test ./cmd/..."
	go test -count=1 ./cmd/...
}

run_module_tests() {
	# Integration, fork, Go-host and real-client tests load the module the
	# way users do; CI=true turns a missing client tool into a failure.
	step "go test ./tests/... against $BUILD/libkagi.so"
	KAGI_MODULE="$(cd "$BUILD" && pwd)/libkagi.so" KAGI_CMD="$(cd "$BUILD" && pwd)/kagi" go test -count=1 -timeout 20m \
		./tests/integration/ ./tests/cabi/ ./tests/fork/ ./tests/gohost/ ./tests/clients/ ./tests/crypto11suite/ ./tests/bench/ \
		./tests/interop/ ./tests/conformance/ ./tests/awscli/
}

run_bench_smoke() {
	step "go run ./tests/bench -quick (smoke run; the figures of a loaded CI machine mean nothing)"
	if ! go run ./tests/bench -quick -kagi "$BUILD/libkagi.so" >"$BUILD/bench-smoke.log" 2>&1; then
		tail -n 40 "$BUILD/bench-smoke.log" >&2
		return 1
	fi
}

# run_kms_bench_smoke runs the KMS bench briefly: kagi serve against local-kms
# through the AWS SDK, checking that every case runs (never how fast). With
# CI set, a local-kms that is installed but fails fails it; one the module
# proxy will not serve is reported and kagi is measured alone.
run_kms_bench_smoke() {
	step "go run ./tests/bench/kms -quick (smoke run of the KMS endpoint bench)"
	if ! go run ./tests/bench/kms -quick -kagi "$BUILD/kagi" -gobin "$BUILD/gobin" >"$BUILD/kms-bench-smoke.log" 2>&1; then
		tail -n 40 "$BUILD/kms-bench-smoke.log" >&2
		return 1
	fi
}

# run_chost measures signing threads from a C host for kagi and SoftHSMv2,
# each on a fresh temporary token.
run_chost() {
	local tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	cc -O2 -Wall -o "$tmp/chost" tests/bench/chost/chost.c -ldl -lpthread
	mkdir "$tmp/softhsm"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$tmp/softhsm" >"$tmp/softhsm2.conf"
	KAGI_DB="$tmp/kagi.db" "$tmp/chost" "$BUILD/libkagi.so"
	SOFTHSM2_CONF="$tmp/softhsm2.conf" "$tmp/chost" /usr/lib/softhsm/libsofthsm2.so
}

run_quick_start() {
	# Demo PINs unless the caller gives real ones; the demo token lives in
	# the default database ($KAGI_DB, else $XDG_DATA_HOME/kagi/kagi.db).
	local pin=${KAGI_PIN:-demo-user-pin}
	KAGI_SO_PIN=${KAGI_SO_PIN:-demo-so-pin} KAGI_PIN="$pin" "$BUILD/kagi" demo
	"$BUILD/kagi" show-slots

	# Then the KMS endpoint on the same token, in the foreground (Ctrl-C
	# stops it), with a demo credential that only works on 127.0.0.1.
	local dir=${XDG_DATA_HOME:-$HOME/.local/share}/kagi
	local port=${KAGI_KMS_PORT:-4599}
	mkdir -p "$dir"
	(umask 077 && printf '%s\n' "$pin" >"$dir/demo-user.pin")
	(umask 077 && cat >"$dir/kms-demo.json" <<EOF
{"listen": "127.0.0.1:$port", "region": "us-east-1", "account": "000000000000",
 "token": "kagi-demo", "pin_file": "$dir/demo-user.pin",
 "credentials": [{"access_key_id": "AKIAKAGIDEMO00000000", "secret_access_key": "kagi-demo-secret",
                  "principal": "arn:aws:iam::000000000000:root"}]}
EOF
	)
	cat <<EOF

The AWS KMS endpoint on the demo token ($dir/kms-demo.json):
  AWS_ACCESS_KEY_ID=AKIAKAGIDEMO00000000 AWS_SECRET_ACCESS_KEY=kagi-demo-secret \\
    aws kms create-key --region us-east-1 --endpoint-url http://127.0.0.1:$port
EOF
	exec "$BUILD/kagi" serve --config "$dir/kms-demo.json"
}

cmd=${1:-build}
case "$cmd" in
build)
	build_all
	;;
test)
	install_test_deps
	build_all
	check_format
	run_unit_tests
	run_module_tests
	run_bench_smoke
	run_kms_bench_smoke
	;;
run)
	build_all
	run_quick_start
	;;
install)
	build_all
	install_files
	;;
bench)
	install_test_deps
	build_all
	shift
	go run ./tests/bench -kagi "$BUILD/libkagi.so" "$@"
	run_chost
	go run ./tests/bench/kms -kagi "$BUILD/kagi" -gobin "$BUILD/gobin" -markdown "$BUILD/kms-bench.md"
	;;
*)
	echo "usage: $0 [test|run|bench|install]" >&2
	exit 2
	;;
esac
