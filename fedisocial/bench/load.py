"""Load from wrk on 127.0.0.1: one generated Lua script per target, whose ``done()`` prints one
JSON line (requests, duration, errors including every non-2xx answer, p50/p99 latency)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK_THREADS = 1  # one event loop drives 16 connections easily; the server gets the cores
WARMUP_S = 3
RUN_S = 10
JSON_MARKER = "BENCH_RESULT "


class LoadError(RuntimeError):
    """wrk failed, or a request errored or was answered with a non-2xx status."""


@dataclass(frozen=True)
class Target:
    """One kind of request: a GET or a form POST, with or without a bearer token."""

    name: str
    path: str
    token: str | None = None
    method: str = "GET"
    form_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.form_body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    errors: int  # connect/read/write/timeout errors and non-2xx answers
    non_2xx: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s


def _lua_string(value: str) -> str:
    if not value.isascii():
        raise ValueError(f"not ASCII: {value!r}")
    return json.dumps(value)  # an ASCII JSON string literal is a valid Lua string literal


def wrk_script(target: Target) -> str:
    """The Lua script for one target. ``response()`` counts non-2xx answers per thread (wrk
    itself counts only >= 400); ``done()`` sums them and prints the JSON line."""
    lines = [f"wrk.method = {_lua_string(target.method)}"]
    if target.form_body is not None:
        lines.append(f"wrk.body = {_lua_string(target.form_body)}")
    for name, value in target.all_headers().items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    lines.append(
        f"""
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
  end
  local e = summary.errors
  local transport = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    '{JSON_MARKER}{{"requests": %d, "duration_us": %d, "transport_errors": %d, '
    .. '"non_2xx": %d, "p50_us": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, transport, bad,
    latency:percentile(50), latency:percentile(99)))
end
"""
    )
    return "\n".join(lines)


def parse_wrk_output(stdout: str) -> LoadResult:
    """The LoadResult from the line ``done()`` printed."""
    for line in stdout.splitlines():
        if line.startswith(JSON_MARKER):
            data = json.loads(line[len(JSON_MARKER) :])
            break
    else:
        raise LoadError(f"wrk printed no result line:\n{stdout}")
    non_2xx = int(data["non_2xx"])
    return LoadResult(
        requests=int(data["requests"]),
        duration_s=int(data["duration_us"]) / 1e6,
        errors=int(data["transport_errors"]) + non_2xx,
        non_2xx=non_2xx,
        p50_ms=int(data["p50_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
    )


def run_wrk(
    target: Target, *, base_url: str, concurrency: int, seconds: int, script_dir: Path
) -> LoadResult:
    """Run wrk once and fail loudly when anything went wrong: a 401 or a 500 would make every
    figure computed from the run meaningless."""
    script_dir.mkdir(parents=True, exist_ok=True)
    script = script_dir / f"{target.name}.lua"
    script.write_text(wrk_script(target))
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadError("wrk is not installed")
    command = [
        wrk,
        f"--threads={min(WRK_THREADS, concurrency)}",
        f"--connections={concurrency}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        f"{base_url}{target.path}",
    ]
    completed = subprocess.run(  # noqa: S603 - fixed arguments, our own script
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise LoadError(
            f"wrk exited with {completed.returncode}:\n{completed.stdout}\n{completed.stderr}"
        )
    result = parse_wrk_output(completed.stdout)
    if result.errors:
        raise LoadError(
            f"{target.name} c={concurrency}: {result.errors} of {result.requests} requests failed "
            f"({result.non_2xx} non-2xx answers); see .bench/gunicorn.log\n{completed.stdout}"
        )
    if result.requests == 0:
        raise LoadError(f"{target.name} c={concurrency}: no request completed")
    return result
