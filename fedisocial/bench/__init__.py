"""The benchmark harness behind ``make bench`` (see docs/benchmarks.md): the two anchor views,
the data set (``manage.py seed_bench``) and the runner that starts the production process model,
loads it with wrk and writes bench-results.json."""
