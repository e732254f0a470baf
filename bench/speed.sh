#!/bin/sh
# Issue 17's table: each row is plugctl against its baseline (a C or system
# program doing the same job), the two alternated in one run so that both
# see the same machine, and the ratio of their medians against the goal.
# Where a Go program can do no better, the row also times its floor: the
# least a Go program with purego does for the same job (bench/gohost). The
# verify row times a second floor, that program making the checks verify
# may not skip as well (bench/checkedhost). make bench-speed runs it after
# building what it needs:
#
#   bench/speed.sh PLUGCTL STARTUP CHOST GOHELLO GOHOST CHECKEDHOST PLUGINS WORKDIR
#
# Every program timed is first dropped from the page cache: on this kind of
# machine a binary the linker has just written starts up to 2 ms sooner than
# the same bytes read back from disk, which would flatter whichever side was
# built last.
#
# inspect runs under sh, as its baseline does, and may exit 1: these
# libraries are no plugins. The two large libraries come from the toolchains here (rustc's
# librustc_driver, mingw's libgnat); a row whose file is missing is said so
# and skipped.
set -eu
plugctl=$1 startup=$2 chost=$3 gohello=$4 gohost=$5 checkedhost=$6 plugins=$7 work=$8
nproc=$(nproc 2>/dev/null || echo 2)
mkdir -p "$work"
rows=$work/rows.md
: >"$rows"

# evict FILE...: drops each file's pages from the page cache (GNU dd's
# nocache; elsewhere nothing happens), so that every program timed starts
# from the same state, read from disk on its first (untimed) run.
evict() {
	sync
	for f in "$@"; do
		dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
	done
}
evict "$plugctl" "$chost" "$gohello" "$gohost" "$checkedhost" \
	"$(command -v readelf || true)" "$(command -v nm || true)" \
	"$(command -v x86_64-w64-mingw32-objdump || true)"

# row GOAL WHAT FLOORS STARTUP-ARGS...: runs startup, shows its output, and
# adds the candidate's ratio (its last line) to the table. FLOORS is how
# many floors were timed (0, 1 or 2), in the lines before the candidate's:
# the floor, then the floor with checks. A goal missed is said to be below
# the floor when the last floor's ratio is over it.
row() {
	goal=$1 what=$2 floors=$3
	shift 3
	out=$("$startup" "$@")
	printf '%s\n\n' "$out" >&2
	ratio=$(printf '%s\n' "$out" | tail -1 | awk '{print $4}')
	least=- last=
	if [ "$floors" -ge 1 ]; then
		least=$(printf '%s\n' "$out" | tail -$((floors + 1)) | head -1 | awk '{print $4}')
		last=$least
	fi
	if [ "$floors" -ge 2 ]; then
		last=$(printf '%s\n' "$out" | tail -2 | head -1 | awk '{print $4}')
		least="$least; with its checks $last"
	fi
	met=missed
	if awk -v r="${ratio%x}" -v g="${goal#<= }" 'BEGIN { exit !(r <= g) }'; then
		met=met
	elif [ -n "$last" ] && awk -v f="${last%x}" -v g="${goal#<= }" 'BEGIN { exit !(f > g) }'; then
		met="missed, below the floor"
	fi
	printf '| %s | %s | %s | %s | %s |\n' "$what" "$ratio" "$least" "$goal" "$met" >>"$rows"
}

# 1000 copies of a small plugin, listed / read by readelf.
mkdir -p "$work/list1000"
for i in $(seq 1 1000); do cp "$plugins/libplain.so" "$work/list1000/libp$i.so"; done
row '<= 0.5' "plugctl list, 1000 plugin files / readelf -W --dyn-syms -d" 0 -n 30 -warmup 3 \
	-- sh -c "readelf -W --dyn-syms -d $work/list1000/*.so >/dev/null" \
	-- "$plugctl" list "$work/list1000"

row '<= 1.5' "plugctl --version / an empty Go program" 1 -n 200 \
	-- "$gohello" -- "$gohost" -- "$plugctl" --version

row '<= 2.0' "plugctl load --in-process, one small plugin / a minimal C host" 1 -n 150 \
	-- "$chost" "$plugins/libplain.so" -- "$gohost" "$plugins/libplain.so" -- "$plugctl" load --in-process "$plugins/libplain.so"

row '<= 4.0' "plugctl load (isolated), one small plugin / a minimal C host" 1 -n 100 \
	-- "$chost" "$plugins/libplain.so" -- "$gohost" -reexec "$plugins/libplain.so" -- "$plugctl" load "$plugins/libplain.so"

mkdir -p "$work/verify200"
for i in $(seq 1 100); do
	cp "$plugins/libplain.so" "$work/verify200/libplain_$i.so"
	cp "$plugins/libsdk_hello.so" "$work/verify200/libsdk_hello_$i.so"
done
row '<= 0.4' "plugctl verify, 200 small plugins / the C host once per plugin, $nproc at once" 2 -n 20 -warmup 2 \
	-- sh -c "ls $work/verify200/*.so | xargs -P $nproc -n1 $chost >/dev/null" \
	-- "$gohost" -serve "$nproc" "$work/verify200" \
	-- "$checkedhost" -serve "$nproc" "$work/verify200" \
	-- "$plugctl" verify -j "$nproc" "$work/verify200"

# inspect_row WHAT FILE RUNS BASELINE: inspect --format json of a large
# library FILE against the BASELINE command on it, or a line saying this
# machine has no such FILE.
inspect_row() {
	if [ -z "$2" ]; then
		echo "| $1 | not on this machine | - | <= 1.0 | - |" >>"$rows"
		return
	fi
	row '<= 1.0' "$1" 0 -n "$3" -warmup 2 \
		-- sh -c "$4 $2 >/dev/null" \
		-- sh -c "$plugctl inspect --format json $2 >/dev/null || [ \$? = 1 ]"
}
# first prints the first of its arguments that exists (a glob that
# matched nothing is itself).
first() {
	for f in "$@"; do
		if [ -e "$f" ]; then
			echo "$f"
			return
		fi
	done
}
rustc_driver=$(first "$(rustc --print sysroot 2>/dev/null)"/lib/librustc_driver-*.so)
inspect_row "plugctl inspect --format json librustc_driver / nm -D --defined-only" "$rustc_driver" 10 "nm -D --defined-only"
gnat=$(first /usr/lib/gcc/x86_64-w64-mingw32/*/adalib/libgnat-*.dll)
inspect_row "plugctl inspect --format json libgnat.dll / x86_64-w64-mingw32-objdump -p" "$gnat" 20 "x86_64-w64-mingw32-objdump -p"

echo "| what | ratio (medians) | floor | goal | |"
echo "|---|---:|---:|---|---|"
cat "$rows"
