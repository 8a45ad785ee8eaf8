#!/usr/bin/env bash
# make bench: how much protoc-gen-health costs on a large API tree, next to
# floors and protoc-gen-go-grpc, the plugin it runs beside.
#
#  1. builds the floors, the plugin, the runner and the corpus generator
#     from this tree, and protoc-gen-go-grpc from the pinned tools/go.mod;
#  2. writes the corpus (bench/corpus: fixed seed, the same bytes every
#     time) to bench/out/corpus and compiles it in-process into
#     bench/out/request-health.bin (parameter emit=go,emit=k8s) and
#     bench/out/request.bin (no parameter: protoc-gen-go-grpc rejects ours);
#     the two differ only in that field, and the floors read the first;
#  3. times each plugin as a whole process (request file on stdin, stdout
#     to /dev/null), RUNS times, round-robin, and prints median wall time,
#     CPU time and peak RSS with their ratios to the first, the lowest
#     floor (bench/run), and whether protoc-gen-health meets its targets
#     (issue 14: wall <= 1.3x, peak RSS <= 1.1x of it; with SCALE >= 5,
#     issue 20: wall <= 0.5x, peak RSS <= 1.0x). The floors:
#       floor-decode    reads the request and proto.Unmarshals it, nothing
#                       else (bench/decode): what any plugin that decodes
#                       its request pays;
#       floor           also builds protogen's model of every file, as
#                       protogen plugins do (bench/noop), linking our
#                       options' Go package as protoc-gen-health does;
#       floor-unlinked  does not, and so pays, like protoc-gen-go-grpc, for
#                       protogen re-decoding every file to resolve the
#                       unknown extensions;
#       floor-trimmed   drops the source info protoc-gen-health never reads
#                       before protogen's model (bench/nooptrim);
#  4. runs the in-process benchmarks of package gen on the same request
#     (ns/op, B/op, allocs/op).
#
# Environment: GIANT (services in the giant file, default 100000), RUNS (default 15), BENCHTIME (go test -benchtime, default
# 5x), SCALE (corpus size relative to the standard one, default 1; 5 is
# about googleapis' size; issue 14's targets are for 1, issue 20's for 5), PROFILE=1 to also write
# CPU and memory profiles of BenchmarkGenerate to bench/out and print their
# top entries. Everything it writes is under bench/out/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-15}
SCALE=${SCALE:-1}
BENCHTIME=${BENCHTIME:-5x}
GIANT=${GIANT:-100000}
OUT=bench/out
BIN=$OUT/bin
# protoc-gen-go-grpc comes from its pinned module (GOWORK=off, which
# -modfile needs); ours build in the workspace, which supplies the options
# module (proto/) the root module requires.

mkdir -p "$BIN"
echo "== build"
go build -o "$BIN/" ./bench/decode ./bench/noop ./bench/nooptrim ./bench/run ./bench/mkcorpus ./bench/giant ./cmd/protoc-gen-health
go build -tags nooptions -o "$BIN/noop-unlinked" ./bench/noop
GOWORK=off go build -modfile=tools/go.mod -o "$BIN/" google.golang.org/grpc/cmd/protoc-gen-go-grpc
echo "$(go version), $(nproc) CPUs, $("$BIN/protoc-gen-go-grpc" --version), $("$BIN/protoc-gen-health" --version)"

echo "== corpus and request"
"$BIN/mkcorpus" -out "$OUT" -options proto -scale "$SCALE"

# The targets: issue 14's on the standard corpus (wall <= 1.3x, peak RSS
# <= 1.1x of floor-decode), issue 20's on a googleapis-sized one (SCALE=5
# or more: wall <= 0.5x, peak RSS not above the floor's).
TARGET=protoc-gen-health:1.3:1.1
if awk "BEGIN { exit !($SCALE >= 5) }"; then
	TARGET=protoc-gen-health:0.5:1.0
fi
echo "== plugins as processes (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
"$BIN/run" -n "$RUNS" -save "$OUT" -target "$TARGET" \
	"floor-decode=$BIN/decode@$OUT/request-health.bin" \
	"floor=$BIN/noop@$OUT/request-health.bin" \
	"floor-unlinked=$BIN/noop-unlinked@$OUT/request-health.bin" \
	"floor-trimmed=$BIN/nooptrim@$OUT/request-health.bin" \
	"protoc-gen-go-grpc=$BIN/protoc-gen-go-grpc@$OUT/request.bin" \
	"protoc-gen-health=$BIN/protoc-gen-health@$OUT/request-health.bin" | tee "$OUT/results.txt"
echo "protoc-gen-health response sha256: $(sha256sum <"$OUT/protoc-gen-health.out" | cut -d' ' -f1)" | tee -a "$OUT/results.txt"

# Issue 19: one file of GIANT services (default 100,000): the plugin's peak
# RSS against its output's size, next to the decode floor on the same
# request. The plugin writes its response a file at a time and never holds
# a large Go file (gen/response.go), so its peak RSS is bounded by a small
# multiple of its output (at most 3x at the default 100,000 services; before:
# 1.8 GB of RSS for emit=go's 112 MB response). Its model of the request
# (about 1 KB a service) and the runtime's fixed cost weigh more on smaller
# files: emit=go at GIANT=20000 takes about 3.5x its 21 MiB.
echo "== giant file ($GIANT services)"
"$BIN/giant" -out "$OUT" -n "$GIANT"
for emit in go k8s; do
	mkdir -p "$OUT/giant-$emit"
	"$BIN/run" -n 3 -save "$OUT/giant-$emit" \
		"floor-decode=$BIN/decode@$OUT/request-giant-$emit.bin" \
		"protoc-gen-health=$BIN/protoc-gen-health@$OUT/request-giant-$emit.bin" | tee "$OUT/giant-$emit.txt" | tee -a "$OUT/results.txt"
	# run's last four columns: RSS MiB, its ratio, files, out MiB.
	awk -v emit="$emit" '$1 == "protoc-gen-health" {
		rss = $(NF - 3); out = $NF
		printf "giant emit=%s: peak RSS %.0f MiB, %.2fx the %.0f MiB response (bound 3x: %s)\n", emit, rss, rss / out, out, (rss <= 3 * out ? "met" : "NOT met")
	}' "$OUT/giant-$emit.txt" | tee -a "$OUT/results.txt"
	echo "giant emit=$emit response sha256: $(sha256sum <"$OUT/giant-$emit/protoc-gen-health.out" | cut -d' ' -f1)" | tee -a "$OUT/results.txt"
done

echo "== in-process (go test -bench, package gen)"
export HEALTH_BENCH_REQUEST="$PWD/$OUT/request-health.bin"
go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" -count 1 ./gen/ |
	grep -E '^(Benchmark|ok|FAIL|PASS)' | tee -a "$OUT/results.txt"
if [ "${PROFILE:-}" = 1 ]; then
	go test -run '^$' -bench '^BenchmarkGenerate$' -benchtime "$BENCHTIME" -count 1 \
		-cpuprofile "$OUT/cpu.prof" -memprofile "$OUT/mem.prof" -o "$OUT/gen.test" ./gen/ >/dev/null
	echo "== CPU profile of BenchmarkGenerate ($OUT/cpu.prof)"
	go tool pprof -top -cum -nodecount 40 "$OUT/gen.test" "$OUT/cpu.prof" 2>/dev/null | sed -n '5,$p'
	echo "== allocations of BenchmarkGenerate ($OUT/mem.prof)"
	go tool pprof -sample_index=alloc_space -top -cum -nodecount 25 "$OUT/gen.test" "$OUT/mem.prof" 2>/dev/null | sed -n '5,$p'
fi

# The runtime against a bare grpc-go health server, in the same run: Check
# over loopback, alternating the two benchmarks ROUNDS times so that load
# from elsewhere falls on both, then the medians' ratio; and Watch fan-out
# and check-to-status propagation.
ROUNDS=${ROUNDS:-9}
echo "== runtime (package healthreg, $ROUNDS alternating rounds)"
(cd healthreg && go test -c -o "../$OUT/healthreg.test" .)
: >"$OUT/runtime.txt"
for _ in $(seq "$ROUNDS"); do
	for b in BenchmarkCheck BenchmarkCheckBare BenchmarkCheckLatency BenchmarkCheckLatencyBare; do
		"$OUT/healthreg.test" -test.run '^$' -test.bench "^$b\$" -test.benchmem -test.benchtime 1s |
			grep '^Benchmark' >>"$OUT/runtime.txt"
	done
done
"$OUT/healthreg.test" -test.run '^$' -test.bench 'WatchFanout|CheckPropagation' -test.benchtime 20x |
	grep '^Benchmark' | tee -a "$OUT/runtime.txt"
awk '
	/^BenchmarkCheck-/     { rt[++n] = $3 }
	/^BenchmarkCheckBare-/ { bare[++m] = $3 }
	/^BenchmarkCheckLatency-/     { rp50[++k] = $5; rp99[k] = $7 }
	/^BenchmarkCheckLatencyBare-/ { bp50[++l] = $5; bp99[l] = $7 }
	function median(a, k,   i, j, t) {
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		r = median(rt, n); b = median(bare, m)
		printf "Check, median of %d rounds: runtime %.0f ns/op, bare %.0f ns/op\n", n, r, b
		printf "throughput runtime/bare = %.3f (target >= 0.95: %s)\n", b / r, (b / r >= 0.95 ? "met" : "NOT met")
		printf "Check latency, one stream, median of %d rounds: runtime p50 %.0f µs p99 %.0f µs, bare p50 %.0f µs p99 %.0f µs\n",
			k, median(rp50, k), median(rp99, k), median(bp50, l), median(bp99, l)
	}' "$OUT/runtime.txt" | tee -a "$OUT/results.txt"

# The health port under issue 19's hung-call attack (1,000 connections × 16
# calls with 15 KB of headers that never send their request, 25s, from a
# process of its own): RSS and goroutines with the bounds and, in the same
# run, without them, and how fresh probes (one every 250ms, the kubelet's
# one-second timeout) fared: p50/p90/p99/max and how many failed. The
# attacker of issue 19 is another machine, so with taskset and two CPUs or
# more it runs on CPU 0 and the server and its probes on CPU 1 (other load
# on the machine still falls on both; the line gives the load average).
echo "== health port under hung calls"
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin=(taskset -c 1)
	export HEALTHREG_ATTACK_CPUS=0
fi
for mode in 1 unbounded; do
	HEALTHREG_ATTACK=$mode "${pin[@]}" "$OUT/healthreg.test" -test.run '^TestHungCallsFullSize$' -test.v |
		grep -E 'hung calls|FAIL' | sed 's/^ *//' | tee -a "$OUT/results.txt"
done
unset HEALTHREG_ATTACK_CPUS
