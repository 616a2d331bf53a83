"""Score: the mean tour length over eight fixed instances (150 cities, half clustered).

route.py is deterministic and the instances never change, so one run is the exact
score: every gain the search finds is real, not luck.
"""

import json

from tsp import instance, solve

INSTANCES = [instance(seed=k, n=150, clustered=k % 2 == 1) for k in range(8)]

lengths = [solve(cities) for cities in INSTANCES]
mean = sum(lengths) / len(lengths)
print(json.dumps({"length": mean, "feedback": "tour lengths: " + ", ".join(f"{x:.4f}" for x in lengths)}))
