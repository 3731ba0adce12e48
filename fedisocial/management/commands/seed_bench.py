"""Build (or reuse) the benchmark data set and write its tokens and ids as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fedisocial.bench.seed import SeedError, SeedSizes, default_output, seed_bench, write_report


class Command(BaseCommand):
    help = (
        "Load the benchmark data set (10,000 accounts, 1,000,000 statuses, the special "
        "accounts' feeds and tokens) into PostgreSQL, or reuse the one already there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="default: <DATA_DIR>/bench-seed.json")
        parser.add_argument(
            "--force",
            action="store_true",
            help="wipe the app tables and rebuild (only on a database whose name has 'bench')",
        )
        parser.add_argument("--accounts", type=int, default=SeedSizes.accounts)
        parser.add_argument("--statuses", type=int, default=SeedSizes.statuses)
        parser.add_argument("--seed", type=int, default=2024, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = SeedSizes(accounts=options["accounts"], statuses=options["statuses"])
        log = self.stdout.write if options["verbosity"] > 1 else None
        try:
            report = seed_bench(
                sizes=sizes, force=options["force"], random_seed=options["seed"], log=log
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        output = options["output"] or default_output()
        write_report(report, output)
        action = "reused" if report.reused else "built"
        self.stdout.write(
            f"seed_bench: {action} {report.statuses:,} statuses in {report.seconds:.1f} s; "
            f"bench_v500 home feed {report.feed_sizes['v500']:,} entries; wrote {output}"
        )
