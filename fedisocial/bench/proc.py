"""Readings from /proc: CPU time and resident memory of processes, and their children.

CPU comes from ``/proc/<pid>/stat`` in clock ticks (``utime + stime``, and ``cutime + cstime``
for the children a process has reaped); memory from ``VmRSS`` in ``/proc/<pid>/status``. The
parsers are pure functions of the file's text so they can be tested without a process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat the harness reads (CPU times in clock ticks)."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def own_ticks(self) -> int:
        return self.utime + self.stime

    @property
    def reaped_children_ticks(self) -> int:
        return self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold
    spaces or parentheses, so the fields are counted from the last ``)``."""
    pid = int(text[: text.index(" ")])
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): field n is rest[n - 3].
    return ProcStat(
        pid=pid,
        ppid=int(rest[1]),
        utime=int(rest[11]),
        stime=int(rest[12]),
        cutime=int(rest[13]),
        cstime=int(rest[14]),
    )


def parse_vm_rss_kib(text: str) -> int:
    """VmRSS of a /proc/<pid>/status text, in KiB (0 for a kernel thread or a zombie)."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"unexpected VmRSS unit {unit!r}")
            return int(value)
    return 0


def read_stat(pid: int) -> ProcStat | None:
    """The process's stat, or None when it has exited."""
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of a process, or None when it has exited."""
    stat = read_stat(pid)
    return None if stat is None else stat.own_ticks


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (a scan of /proc, which needs no kernel option)."""
    children = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = read_stat(int(entry.name))
        if stat is not None and stat.ppid == pid:
            children.append(stat.pid)
    return sorted(children)


def tree_cpu_ticks(parent: int) -> int:
    """CPU of a parent's children, living and reaped: what its live children used, plus what
    the children it has already waited for used (cutime + cstime). The difference of two
    readings is the children's CPU in between even when a child is replaced (gunicorn recycles
    a worker after ``max_requests``). The parent's own CPU is not included."""
    stat = read_stat(parent)
    if stat is None:
        raise ProcessLookupError(f"process {parent} has exited")
    total = stat.reaped_children_ticks
    for child in children_of(parent):
        ticks = cpu_ticks(child)
        total += ticks or 0
    return total


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB, or None when it has exited."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return parse_vm_rss_kib(text) / 1024


def parse_machine_busy_ticks(text: str) -> int:
    """Busy time of all CPUs together from /proc/stat's first line: everything but idle and
    iowait (guest time is already inside user)."""
    fields = text.splitlines()[0].split()
    if fields[0] != "cpu":
        raise ValueError("not a /proc/stat text")
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(values) - values[3] - values[4]


def machine_busy_ticks() -> int:
    return parse_machine_busy_ticks((PROC / "stat").read_text())


def ticks_to_seconds(ticks: int) -> float:
    return ticks / CLOCK_TICKS_PER_S
