"""``make bench``: services up, the bench database migrated and seeded, the production process
model started, every registered measurement taken, the table printed and bench-results.json
written; the processes are stopped at the end whatever happens (Ctrl-C included).

Exit status: 0 when every target is met, 1 when one is not (the file is written), 2 when the
harness itself failed (no file).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType

from fedisocial.bench import services
from fedisocial.bench.celery_control import CeleryControl
from fedisocial.bench.context import BenchContext, Run
from fedisocial.bench.dataset import DataSet, load_data_set
from fedisocial.bench.environment import (
    BASE_DIR,
    PREFERRED_PORT,
    RESULTS_PATH,
    BenchEnvironment,
    choose_port,
)
from fedisocial.bench.measurements import ANCHOR_RUNS, REGISTRY
from fedisocial.bench.postgres import run_lock
from fedisocial.bench.processes import AppProcesses
from fedisocial.bench.report import Result, all_met, format_table, write_results

EXIT_MET = 0
EXIT_NOT_MET = 1
EXIT_HARNESS_FAILED = 2
TIME_BUDGET_S = 600
# A run during which other work took more than this many cores is reported as noisy.
NOISY_OTHER_CORES = 0.25


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fedisocial.bench", description="The `make bench` harness."
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="KEY",
        help="measure only these keys (the file then holds only them)",
    )
    parser.add_argument(
        "--seed-file",
        type=Path,
        help="use this data-set JSON instead of running manage.py seed_bench",
    )
    parser.add_argument("--port", type=int, default=PREFERRED_PORT, help="preferred API port")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(REGISTRY))
    if unknown:
        parser.error(f"unknown keys {unknown}; known: {', '.join(REGISTRY)}")  # exit status 2
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        return _main(args)
    finally:
        elapsed = time.monotonic() - started
        over = (
            f" (over the {TIME_BUDGET_S // 60}-minute budget!)" if elapsed > TIME_BUDGET_S else ""
        )
        print(f"\nelapsed: {elapsed:.0f} s{over}", flush=True)


def _main(args: argparse.Namespace) -> int:
    try:
        results = run(args)
    except KeyboardInterrupt:
        print("\nbench interrupted; the processes it started are stopped", file=sys.stderr)
        return EXIT_HARNESS_FAILED
    except Exception:
        traceback.print_exc()
        print("\nBENCH FAILED: the harness could not measure (no results written)", file=sys.stderr)
        return EXIT_HARNESS_FAILED

    write_results(results, RESULTS_PATH)
    print()
    print(format_table(results))
    print(f"\nwrote {RESULTS_PATH.relative_to(BASE_DIR)}")
    if all_met(results):
        print("all targets met")
        return EXIT_MET
    missed = ", ".join(r.key for r in results if not r.met)
    print(f"targets not met: {missed}")
    return EXIT_NOT_MET


def run(args: argparse.Namespace) -> list[Result]:
    keys = [key for key in REGISTRY if not args.only or key in args.only]

    env = BenchEnvironment(port=choose_port(args.port))
    env.data_dir.mkdir(parents=True, exist_ok=True)
    env.script_dir.mkdir(parents=True, exist_ok=True)
    if RESULTS_PATH.exists():
        RESULTS_PATH.unlink()  # never leave an earlier run's figures looking like this one's
    services.say(f"work directory {env.work_dir.relative_to(BASE_DIR)}/, API on {env.base_url}")

    services.ensure_wrk()
    services.ensure_postgres()
    services.ensure_redis()
    with run_lock():
        services.ensure_database()
        services.migrate(env)
        if args.seed_file:
            seed_path = args.seed_file
            services.say(f"data set from {seed_path} (seed_bench not run)")
        else:
            services.seed(env)
            seed_path = env.seed_path
        data = load_data_set(seed_path)
        services.vacuum_analyze()
        env.apply_to_this_process()
        return _measure(env, data, keys)


def _warn_if_noisy(runs: Iterable[Run]) -> None:
    noisiest = max(runs, key=lambda run: run.other_cores, default=None)
    if noisiest is not None and noisiest.other_cores > NOISY_OTHER_CORES:
        print(
            f"\nWARNING: other processes on this machine used up to "
            f"{noisiest.other_cores:.2f} cores during the runs ({noisiest.target} "
            f"c={noisiest.connections}): the figures are noisy; run again on a quiet machine",
            flush=True,
        )


def _measure(env: BenchEnvironment, data: DataSet, keys: list[str]) -> list[Result]:
    """Start the app, take the anchors and every key, stop the app (whatever happens)."""
    services.clear_redis_namespace()
    processes = AppProcesses(env)
    try:
        services.say(
            "starting gunicorn (gunicorn.conf.py), celery worker (threads, 8) and beat; "
            f"logs in {env.log_dir.relative_to(BASE_DIR)}/"
        )
        processes.start()
        celery = CeleryControl()
        celery.wait_for_worker(processes.worker.pid)
        ctx = BenchContext(env=env, processes=processes, data=data, celery=celery)
        services.say("load runs: wrk on 127.0.0.1, a 3 s warm-up, then 10 s measured")
        if len(keys) == len(REGISTRY):  # with --only, only the runs its keys need
            for target, connections in ANCHOR_RUNS:
                ctx.run(target, connections)
        results = []
        for key in keys:
            results.append(REGISTRY[key].result(ctx))
        _warn_if_noisy(ctx.runs.values())
        return results
    finally:
        services.say("stopping the app's processes")
        # A second Ctrl-C must not leave half of them running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        processes.stop()
        services.clear_redis_namespace()
