"""``python -m fedisocial.bench`` (``make bench``): see fedisocial/bench/runner.py."""

import sys

from fedisocial.bench.runner import main

sys.exit(main())
