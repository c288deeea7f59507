#!/usr/bin/env bash
# Prints the mechanism table of issue 4's closing note: one row per mechanism
# that kagi or SoftHSMv2 lists, each cell what `pkcs11-tool -M` says of it
# (key sizes and flags) for that module, "—" where it lacks it, then counts.
#
# Usage (from the repository root, after ./build.sh):
#   tests/mechtable/mechtable.sh [build/libkagi.so] [/usr/lib/softhsm/libsofthsm2.so]
set -euo pipefail

kagi=${1:-build/libkagi.so}
softhsm=${2:-/usr/lib/softhsm/libsofthsm2.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Both modules keep their state under $tmp: nothing of the user's is read.
mkdir -p "$tmp/tokens"
echo "directories.tokendir = $tmp/tokens" >"$tmp/softhsm2.conf"

# list MODULE: "NAME<TAB>details" per mechanism, sorted by name.
list() {
	SOFTHSM2_CONF="$tmp/softhsm2.conf" KAGI_DB="$tmp/kagi.db" \
		pkcs11-tool --module "$1" -M 2>/dev/null |
		sed -n 's/^  \([^ ,][^,]*\)\(, \(.*\)\)\{0,1\}$/\1\t\3/p' | sort -t "$(printf '\t')" -k1,1
}
list "$kagi" >"$tmp/kagi"
list "$softhsm" >"$tmp/softhsm"

join -t "$(printf '\t')" -a 1 -a 2 -e '—' -o 0,1.2,2.2 "$tmp/kagi" "$tmp/softhsm" >"$tmp/both"
echo "| mechanism | kagi | SoftHSMv2 2.6 |"
echo "|---|---|---|"
awk -F '\t' '{ printf "| %s | %s | %s |\n", $1, ($2 == "" ? "(listed)" : $2), ($3 == "" ? "(listed)" : $3) }' "$tmp/both"
echo
printf 'kagi %d, SoftHSMv2 %d; only kagi %d, only SoftHSMv2 %d\n' \
	"$(wc -l <"$tmp/kagi")" "$(wc -l <"$tmp/softhsm")" \
	"$(awk -F '\t' '$3 == "—"' "$tmp/both" | wc -l)" \
	"$(awk -F '\t' '$2 == "—"' "$tmp/both" | wc -l)"
