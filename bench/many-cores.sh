#!/usr/bin/env bash
# bench/many-cores.sh — bench:scale's scale-out figures on a machine of 16 cores or more, as the
# issue that set the targets measured them: K = 1, 4, 8 instances on one PostgreSQL, the
# instances and PostgreSQL on the first cores, six load-generator processes on the last six
# (BENCH_SERVER_CPUS / BENCH_GENERATOR_CPUS / BENCH_INSTANCES / BENCH_DURATION_S override).
# Phases of 12 s: at the start of each phase every instance claims a slice of every key it leases
# (their slices went back while the phase before ran something else), and with short phases those
# claims, K times the keys, weigh on the figures of the larger K (on 2 cores, four instances: 0.23
# pool batches of claims and housekeeping per cycle with 4 s phases, 0.11 with 12 s).
# Runs from the project root with node on PATH and the production dependencies installed (tsx is
# one), so it also runs from a packed copy of the project on a bare machine. About eight minutes
# (the REST and GraphQL warm-ups last 2 s per instance; with one instance, the REST floor runs beside it;
# BENCH_ROUNDS=2 adds about two and a half more). The instances inherit the environment: a second run with
# KEYPOOL_POOL_GATHER_MS=0 BENCH_INSTANCES=1,8 measures batches that go at once against the default gathering,
# whose wait on a fast database with many instances is the one setting 2 cores could not judge.
set -euo pipefail
cores=$(nproc)
if [ "$cores" -lt 8 ]; then echo "bench/many-cores.sh wants 8 cores or more (this machine has $cores); run npm run bench:scale here" >&2; exit 2; fi
export BENCH_SERVER_CPUS=${BENCH_SERVER_CPUS:-0-$((cores - 7))}
export BENCH_GENERATOR_CPUS=${BENCH_GENERATOR_CPUS:-$((cores - 6))-$((cores - 1))}
export BENCH_GENERATORS=${BENCH_GENERATORS:-6}
export BENCH_INSTANCES=${BENCH_INSTANCES:-1,4,8}
export BENCH_DURATION_S=${BENCH_DURATION_S:-12}
echo "servers and PostgreSQL on CPUs $BENCH_SERVER_CPUS, generators on $BENCH_GENERATOR_CPUS; $(node --version); $(date -u +%FT%TZ)"
exec node --import tsx bench/scale.bench.ts
