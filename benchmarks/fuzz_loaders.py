"""Long fuzz run of the loaders (issue 12): `python benchmarks/fuzz_loaders.py [N]` runs the
hostile-input properties of tests/fuzz with N examples each (default 2,500 x 4 = 10,000 cases)
and prints the count; any traceback fails the run with hypothesis' minimal example."""
import os
import subprocess
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2500
start = time.time()
env = dict(os.environ, RULEC_FUZZ_EXAMPLES=str(n))
rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                      "tests/fuzz"], env=env)
print(f"fuzz: {4 * n} cases in {time.time() - start:.0f}s, exit {rc}")
sys.exit(rc)
