"""Gate: route.py prints a valid tour of a small instance (fast, so broken candidates die here)."""

from tsp import instance, solve

solve(instance(seed=99, n=12, clustered=False), timeout=20)
