"""The pure parts of the `make bench` harness: the results file's shape, `met`, and the
parsers of /proc, wrk's result line and the seed output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fedisocial.bench import postgres, proc
from fedisocial.bench.dataset import DataSetError, parse_data_set
from fedisocial.bench.load import LoadError, Target, parse_wrk_output, wrk_script
from fedisocial.bench.measurements import REGISTRY
from fedisocial.bench.report import (
    Op,
    all_met,
    format_table,
    make_result,
    results_document,
    write_results,
)

ISSUE_KEYS = [
    "home_timeline_rps_ratio",
    "home_timeline_p99_ratio",
    "home_timeline_cpu_ms",
    "home_timeline_db_ratio_500",
    "home_timeline_db_ratio_20",
    "home_timeline_db_ratio_sparse",
    "home_timeline_db_ratio_deep",
    "home_timeline_db_spread",
    "queries_home_limit1",
    "queries_home_limit40",
    "post_status_rps_ratio",
    "post_status_p50_ms",
    "fanout_inserts_per_s",
    "fanout_10k_visible_s",
    "fanout_tasks_per_post_10k",
    "inbox_accept_rps_ratio",
    "inbox_processed_per_s",
    "delivery_per_s_ratio",
    "delivery_posts_per_shared_inbox",
    "delivery_key_loads_warm",
    "delivery_tls_contexts_warm",
    "web_worker_rss_mib",
    "app_tier_rss_mib",
]


def test_registry_holds_the_issue_keys_in_order_with_valid_targets() -> None:
    assert list(REGISTRY) == ISSUE_KEYS
    for measurement in REGISTRY.values():
        assert measurement.op in {"<=", ">="}
        assert measurement.target >= 0  # 0 for counts that must not grow (key parses)


def test_results_file_has_exactly_the_contract_shape(tmp_path: Path) -> None:
    results = [
        make_result(
            key="home_timeline_rps_ratio",
            raw_value=0.41234,
            unit="ratio",
            target=0.35,
            op=">=",
            digits=3,
        ),
        make_result(
            key="queries_home_limit1", raw_value=5, unit="queries", target=6, op="<=", digits=0
        ),
    ]
    path = tmp_path / "bench-results.json"
    write_results(results, path)
    assert json.loads(path.read_text()) == {
        "home_timeline_rps_ratio": {
            "value": 0.412,
            "unit": "ratio",
            "target": 0.35,
            "op": ">=",
            "met": True,
        },
        "queries_home_limit1": {
            "value": 5,
            "unit": "queries",
            "target": 6,
            "op": "<=",
            "met": True,
        },
    }
    assert results_document(results)["queries_home_limit1"]["value"] == 5
    assert isinstance(results_document(results)["queries_home_limit1"]["value"], int)


@pytest.mark.parametrize(
    ("value", "op", "target", "met"),
    [
        (0.35, ">=", 0.35, True),
        (0.349, ">=", 0.35, False),
        (3.0, "<=", 3, True),
        (3.01, "<=", 3, False),
        (20_000, ">=", 20_000, True),
    ],
)
def test_met_compares_the_value_with_the_target(
    value: float, op: Op, target: float, met: bool
) -> None:
    result = make_result(key="k", raw_value=value, unit="x", target=target, op=op, digits=3)
    assert result.met is met


def test_met_is_judged_on_the_reported_value_and_the_extra_condition() -> None:
    # 6.4 queries cannot happen, but rounding to an int reports 6, which meets "<= 6".
    assert make_result(key="k", raw_value=6.4, unit="q", target=6, op="<=", digits=0).met
    unequal = make_result(
        key="queries_home_limit40",
        raw_value=5,
        unit="q",
        target=6,
        op="<=",
        digits=0,
        also_met=False,
    )
    assert not unequal.met
    assert not all_met([unequal])


def test_a_value_that_is_not_a_number_is_a_harness_failure() -> None:
    with pytest.raises(ValueError, match="finite"):
        make_result(key="k", raw_value=float("inf"), unit="x", target=1, op="<=", digits=2)


def test_table_lists_every_key() -> None:
    results = [
        make_result(
            key="fanout_10k_visible_s", raw_value=2.5, unit="s", target=2, op="<=", digits=3
        )
    ]
    table = format_table(results)
    assert "fanout_10k_visible_s" in table
    assert "<= 2" in table
    assert table.splitlines()[-1].endswith("NO")


def test_parse_stat_counts_fields_after_the_command_name() -> None:
    # A command name with spaces and parentheses, as a thread or a renamed process can have.
    text = (
        "4242 (gunicorn: (worker) x) S 4200 4200 4200 0 -1 4194560 1000 0 0 0 "
        "150 37 12 5 20 0 9 0 12345 200000000 20000 18446744073709551615 0 0 0 0 0 0 0 0 0"
    )
    stat = proc.parse_stat(text)
    assert (stat.pid, stat.ppid) == (4242, 4200)
    assert (stat.utime, stat.stime, stat.cutime, stat.cstime) == (150, 37, 12, 5)
    assert stat.own_ticks == 187
    assert stat.reaped_children_ticks == 17


def test_parse_stat_of_this_process() -> None:
    stat = proc.read_stat(os.getpid())
    assert stat is not None
    assert stat.own_ticks >= 0


def test_parse_vm_rss() -> None:
    text = "Name:\tpython\nVmPeak:\t  300000 kB\nVmRSS:\t   81920 kB\nThreads:\t9\n"
    assert proc.parse_vm_rss_kib(text) == 81920
    assert proc.parse_vm_rss_kib("Name:\tkthreadd\n") == 0


def test_backend_cpu_counts_a_backend_that_appears_from_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticks = {1: 100, 2: 50}
    monkeypatch.setattr(proc, "cpu_ticks", lambda pid: ticks.get(pid))
    cpu = postgres.BackendCpu()
    cpu.observe([1], first=True)
    ticks.update({1: 130, 3: 20})
    cpu.observe([1, 3])
    del ticks[3]  # exited: its last reading stays
    ticks[1] = 140
    cpu.observe([1, 3])
    assert cpu.ticks == (140 - 100) + 20


def test_wrk_result_line_counts_non_2xx_answers_as_errors() -> None:
    ok = parse_wrk_output(
        'Running 10s test\nBENCH_RESULT {"requests": 2000, "duration_us": 10000000, '
        '"transport_errors": 0, "non_2xx": 0, "p50_us": 4100, "p99_us": 20500}\n'
    )
    assert ok.rps == 200
    assert (ok.p50_ms, ok.p99_ms, ok.errors) == (4.1, 20.5, 0)
    bad = parse_wrk_output(
        'BENCH_RESULT {"requests": 10, "duration_us": 1000000, "transport_errors": 1, '
        '"non_2xx": 9, "p50_us": 1, "p99_us": 2}'
    )
    assert (bad.errors, bad.non_2xx) == (10, 9)
    with pytest.raises(LoadError):
        parse_wrk_output("wrk: unable to connect")


def test_wrk_script_sends_the_token_and_the_form_body() -> None:
    script = wrk_script(
        Target("post", "/api/v1/statuses", "tok123", method="POST", form_body="status=hi")
    )
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = "status=hi"' in script
    assert 'wrk.headers["Authorization"] = "Bearer tok123"' in script
    assert "application/x-www-form-urlencoded" in script
    assert "function done(summary, latency, requests)" in script


def test_seed_output_must_name_every_role() -> None:
    roles = ("v500", "v20", "sparse", "popular", "quiet")
    data = parse_data_set(
        {
            "tokens": {role: f"t-{role}" for role in roles},
            "accounts": {role: str(n) for n, role in enumerate(roles, 1)},
            "deep_max_id": "123",
            "statuses": 1_000_000,
        }
    )
    assert data.account_id("quiet") == 5
    assert data.deep_max_id == "123"
    with pytest.raises(DataSetError):
        parse_data_set({"tokens": {}, "accounts": {}, "deep_max_id": "1"})


def test_machine_busy_leaves_out_idle_and_iowait() -> None:
    text = "cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n"
    assert proc.parse_machine_busy_ticks(text) == 100 + 5 + 50 + 3 + 2 + 1
