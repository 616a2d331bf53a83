"""Shared by the verifier's stages: the instances, running route.py, checking its tour."""

import math
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(os.path.dirname(HERE), "route.py")


def instance(seed, n, clustered):
    """n cities in the unit square, uniform or in a few clusters; the same for a given seed."""
    rng = random.Random(seed)
    if not clustered:
        return [(rng.random(), rng.random()) for _ in range(n)]
    centres = [(rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)) for _ in range(4)]
    cities = []
    for _ in range(n):
        cx, cy = rng.choice(centres)
        cities.append((min(1.0, max(0.0, rng.gauss(cx, 0.08))), min(1.0, max(0.0, rng.gauss(cy, 0.08)))))
    return cities


def tsplib(cities):
    lines = ["NAME: evoloop", "TYPE: TSP", f"DIMENSION: {len(cities)}", "NODE_COORD_SECTION"]
    lines += [f"{i + 1} {x:.6f} {y:.6f}" for i, (x, y) in enumerate(cities)]
    return "\n".join(lines + ["EOF", ""])


def solve(cities, timeout=60):
    """The length of route.py's tour, or exits this stage with the reason it is not a tour."""
    # The candidate runs with nothing of ours in its environment (no EVOLOOP_* variables).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, PROGRAM],
            input=tsplib(cities), capture_output=True, text=True, env=env, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        fail(f"route.py took more than {timeout}s")
    if done.returncode != 0:
        fail(f"route.py exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    try:
        tour = [int(t) - 1 for t in done.stdout.split()]
    except ValueError:
        fail(f"route.py printed something other than city ids: {done.stdout[:200]!r}")
    if sorted(tour) != list(range(len(cities))):
        fail(f"not a tour: {len(tour)} ids for {len(cities)} cities, each must appear once")
    return sum(math.dist(cities[tour[i - 1]], cities[tour[i]]) for i in range(len(tour)))


def fail(reason):
    print(reason, file=sys.stderr)
    sys.exit(1)
