"""The registry of measurements: one key each, with its unit, target and how it is measured.

Adding a key is one decorated function here: it receives the BenchContext and returns a number;
load runs (``ctx.run(target, connections)``) and shared experiments (``ctx.once``) are done once
however many keys use them. Keys are measured, and reported, in the order they are registered:
the read-only timelines first, then the writes, then the fan-out, and memory last ("after the
load"). docs/benchmarks.md says how each key is measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fedisocial.bench import federation
from fedisocial.bench.context import LATENCY_CONNECTIONS as C4
from fedisocial.bench.context import THROUGHPUT_CONNECTIONS as C16
from fedisocial.bench.context import BenchContext, Run
from fedisocial.bench.fanout import FanoutResult, measure_fanout
from fedisocial.bench.processes import RssSnapshot
from fedisocial.bench.querycount import count_queries
from fedisocial.bench.report import Op, Result, make_result

Measure = Callable[[BenchContext], float]


@dataclass(frozen=True)
class Measurement:
    key: str
    unit: str
    target: float
    op: Op
    digits: int  # decimals reported
    measure: Measure
    also_met: Callable[[BenchContext], bool] | None = None

    def result(self, ctx: BenchContext) -> Result:
        raw = self.measure(ctx)
        also = self.also_met(ctx) if self.also_met else True
        return make_result(
            key=self.key,
            raw_value=raw,
            unit=self.unit,
            target=self.target,
            op=self.op,
            digits=self.digits,
            also_met=also,
        )


REGISTRY: dict[str, Measurement] = {}

# Runs done before any key, so both anchors are measured in every run (plain is for the record).
ANCHOR_RUNS = (("plain", C16), ("db40", C16), ("plain", C4), ("db40", C4))


def measurement(
    key: str,
    *,
    unit: str,
    target: float,
    op: Op,
    digits: int,
    also_met: Callable[[BenchContext], bool] | None = None,
) -> Callable[[Measure], Measure]:
    def register(measure: Measure) -> Measure:
        if key in REGISTRY:
            raise ValueError(f"measurement {key} registered twice")
        REGISTRY[key] = Measurement(key, unit, target, op, digits, measure, also_met)
        return measure

    return register


# --- Home timeline: throughput, latency, web CPU -------------------------------------------------


@measurement("home_timeline_rps_ratio", unit="ratio", target=0.35, op=">=", digits=3)
def home_timeline_rps_ratio(ctx: BenchContext) -> float:
    return ctx.run("home_500", C16).load.rps / ctx.run("db40", C16).load.rps


@measurement("home_timeline_p99_ratio", unit="ratio", target=3, op="<=", digits=3)
def home_timeline_p99_ratio(ctx: BenchContext) -> float:
    return ctx.run("home_500", C4).load.p99_ms / ctx.run("db40", C4).load.p99_ms


@measurement("home_timeline_cpu_ms", unit="ms", target=6, op="<=", digits=2)
def home_timeline_cpu_ms(ctx: BenchContext) -> float:
    return ctx.run("home_500", C16).web_cpu_ms_per_request


# --- Home timeline: PostgreSQL CPU per request, against db40's -----------------------------------

DB_RATIO_TARGETS = {
    "500": "home_500",
    "20": "home_20",
    "sparse": "home_sparse",
    "deep": "home_deep",
}


def _db_ratio(ctx: BenchContext, target: str) -> float:
    anchor = ctx.run("db40", C16).pg_cpu_ms_per_request
    if anchor <= 0:
        raise RuntimeError("db40 used no measurable PostgreSQL CPU: cannot divide by it")
    return ctx.run(target, C16).pg_cpu_ms_per_request / anchor


def _register_db_ratio(suffix: str, target: str) -> None:
    @measurement(f"home_timeline_db_ratio_{suffix}", unit="ratio", target=6, op="<=", digits=3)
    def db_ratio(ctx: BenchContext) -> float:
        return _db_ratio(ctx, target)


for _suffix, _target in DB_RATIO_TARGETS.items():
    _register_db_ratio(_suffix, _target)


@measurement("home_timeline_db_spread", unit="ratio", target=1.5, op="<=", digits=3)
def home_timeline_db_spread(ctx: BenchContext) -> float:
    ratios = [_db_ratio(ctx, target) for target in DB_RATIO_TARGETS.values()]
    if min(ratios) <= 0:
        raise RuntimeError(f"a home timeline used no measurable PostgreSQL CPU: {ratios}")
    return max(ratios) / min(ratios)


# --- SQL queries per home request ----------------------------------------------------------------


def _query_counts(ctx: BenchContext) -> dict[int, int]:
    def count() -> dict[int, int]:
        counts = count_queries(ctx.env, ctx.data.token("v500"))
        ctx.note(f"queries per home request as v500: {counts}")
        return counts

    counts: dict[int, int] = ctx.once("query_counts", count)
    return counts


@measurement("queries_home_limit1", unit="queries", target=6, op="<=", digits=0)
def queries_home_limit1(ctx: BenchContext) -> float:
    return _query_counts(ctx)[1]


def _limits_equal(ctx: BenchContext) -> bool:
    counts = _query_counts(ctx)
    return counts[1] == counts[40]


# The contract asks for both <= 6 *and* equal: limit40 is met only when it equals limit1.
@measurement(
    "queries_home_limit40", unit="queries", target=6, op="<=", digits=0, also_met=_limits_equal
)
def queries_home_limit40(ctx: BenchContext) -> float:
    return _query_counts(ctx)[40]


# --- Posting -------------------------------------------------------------------------------------


@measurement("post_status_rps_ratio", unit="ratio", target=0.25, op=">=", digits=3)
def post_status_rps_ratio(ctx: BenchContext) -> float:
    return ctx.run("post_status", C16).load.rps / ctx.run("db40", C16).load.rps


@measurement("post_status_p50_ms", unit="ms", target=15, op="<=", digits=2)
def post_status_p50_ms(ctx: BenchContext) -> float:
    return ctx.run("post_status", C4).load.p50_ms


# --- Fan-out -------------------------------------------------------------------------------------


def _fanout(ctx: BenchContext) -> FanoutResult:
    result: FanoutResult = ctx.once("fanout", lambda: measure_fanout(ctx))
    return result


@measurement("fanout_inserts_per_s", unit="inserts/s", target=20_000, op=">=", digits=0)
def fanout_inserts_per_s(ctx: BenchContext) -> float:
    return _fanout(ctx).inserts_per_s


@measurement("fanout_10k_visible_s", unit="s", target=2, op="<=", digits=3)
def fanout_10k_visible_s(ctx: BenchContext) -> float:
    return _fanout(ctx).median_visible_s


@measurement("fanout_tasks_per_post_10k", unit="tasks", target=11, op="<=", digits=1)
def fanout_tasks_per_post_10k(ctx: BenchContext) -> float:
    return _fanout(ctx).tasks_per_post


# --- Memory after the load -----------------------------------------------------------------------


def _rss(ctx: BenchContext) -> tuple[RssSnapshot, RssSnapshot]:
    """The snapshots, taken after each load run and once more now (after the fan-out), with
    the largest web worker and the largest app tier."""

    def read() -> tuple[RssSnapshot, RssSnapshot]:
        snapshots = [*ctx.rss, ctx.processes.rss_snapshot()]
        web = max(snapshots, key=lambda snapshot: snapshot.web_max)
        tier = max(snapshots, key=lambda snapshot: snapshot.app_tier)
        if web is tier:
            ctx.note(f"RSS MiB, largest web worker and app tier: {web.describe()}")
        else:
            ctx.note(f"RSS MiB, largest web worker: {web.describe()}")
            ctx.note(f"RSS MiB, largest app tier: {tier.describe()}")
        return web, tier

    snapshots: tuple[RssSnapshot, RssSnapshot] = ctx.once("rss", read)
    return snapshots


@measurement("web_worker_rss_mib", unit="MiB", target=110, op="<=", digits=1)
def web_worker_rss_mib(ctx: BenchContext) -> float:
    return _rss(ctx)[0].web_max


@measurement("app_tier_rss_mib", unit="MiB", target=450, op="<=", digits=1)
def app_tier_rss_mib(ctx: BenchContext) -> float:
    return _rss(ctx)[1].app_tier


# --- Federation: the inbox and delivery (fedisocial/bench/federation.py) ------------------------
# Registered after memory in this file, then memory is moved back to the end below: the keys run
# in registration order, and memory is read "after the load", these runs included.


def _inbox_accept(ctx: BenchContext) -> Run:
    run: Run = ctx.once("inbox_accept", lambda: federation.measure_inbox_accept(ctx))
    return run


@measurement("inbox_accept_rps_ratio", unit="ratio", target=0.4, op=">=", digits=3)
def inbox_accept_rps_ratio(ctx: BenchContext) -> float:
    return _inbox_accept(ctx).load.rps / ctx.run("db40", C16).load.rps


@measurement("inbox_processed_per_s", unit="activities/s", target=150, op=">=", digits=0)
def inbox_processed_per_s(ctx: BenchContext) -> float:
    result: federation.ProcessingResult = ctx.once(
        "inbox_processing", lambda: federation.measure_inbox_processing(ctx)
    )
    return result.per_s


def _delivery(ctx: BenchContext) -> federation.DeliveryResult:
    result: federation.DeliveryResult = ctx.once(
        "delivery", lambda: federation.measure_delivery(ctx)
    )
    return result


@measurement("delivery_per_s_ratio", unit="ratio", target=0.5, op=">=", digits=3)
def delivery_per_s_ratio(ctx: BenchContext) -> float:
    return _delivery(ctx).ratio


@measurement("delivery_posts_per_shared_inbox", unit="posts", target=1, op="<=", digits=0)
def delivery_posts_per_shared_inbox(ctx: BenchContext) -> float:
    result: federation.SharedInboxResult = ctx.once(
        "shared_inbox", lambda: federation.measure_shared_inbox(ctx)
    )
    return result.posts


@measurement("delivery_key_loads_warm", unit="parses", target=0, op="<=", digits=0)
def delivery_key_loads_warm(ctx: BenchContext) -> float:
    return _delivery(ctx).key_loads


@measurement("delivery_tls_contexts_warm", unit="contexts", target=0, op="<=", digits=0)
def delivery_tls_contexts_warm(ctx: BenchContext) -> float:
    return _delivery(ctx).tls_contexts


for _memory_key in ("web_worker_rss_mib", "app_tier_rss_mib"):
    REGISTRY[_memory_key] = REGISTRY.pop(_memory_key)
