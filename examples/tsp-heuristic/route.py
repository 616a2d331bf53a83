"""Travelling salesman: a savings construction, then local search.

Reads a TSPLIB-style instance on stdin (NODE_COORD_SECTION lines "id x y") and prints
the tour on stdout as 1-based city ids on one line, its length on stderr.

    python3 route.py < cities.tsp

The tour is built by Clarke and Wright's savings method from city 1, then improved by
rounds of 2-opt (reverse a stretch of the tour) and or-opt (move a short segment), each
trying only a few nearest neighbours of every city. Deterministic: the same instance
always gives the same tour.
"""

import math
import re
import sys

# Hand-picked settings of the heuristic.
SAVINGS_SHAPE = 1.0
NEIGHBOURS = 3
SEGMENT_LENGTH = 1
ROUNDS = 1

COORD_LINE = re.compile(r"^\s*(\d+)\s+([-+\d.eE]+)\s+([-+\d.eE]+)\s*$")


def read_instance(text):
    """The city coordinates of a TSPLIB text, in id order."""
    cities = {}
    in_coords = False
    for line in text.splitlines():
        if line.strip().startswith("NODE_COORD_SECTION"):
            in_coords = True
            continue
        if line.strip() in ("EOF", "") or not in_coords:
            continue
        match = COORD_LINE.match(line)
        if not match:
            raise ValueError(f"not a coordinate line: {line!r}")
        cities[int(match.group(1)) - 1] = (float(match.group(2)), float(match.group(3)))
    if len(cities) < 4:
        raise ValueError("need at least 4 cities")
    return [cities[i] for i in range(len(cities))]


def tour_length(tour, dist):
    return sum(dist[tour[i - 1]][tour[i]] for i in range(len(tour)))


def savings_tour(dist):
    """Clarke-Wright: start with a return trip from city 0 to every other city, then merge
    trips end to end in order of the distance saved, d(0, i) + d(0, j) - shape * d(i, j)."""
    n = len(dist)
    pairs = sorted(
        ((dist[0][i] + dist[0][j] - SAVINGS_SHAPE * dist[i][j], i, j) for i in range(1, n) for j in range(i + 1, n)),
        reverse=True,
    )
    links = {i: [] for i in range(1, n)}
    group = list(range(n))

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    merged = 0
    for _, i, j in pairs:
        if len(links[i]) < 2 and len(links[j]) < 2 and root(i) != root(j):
            links[i].append(j)
            links[j].append(i)
            group[root(i)] = root(j)
            merged += 1
            if merged == n - 2:
                break
    start = next(i for i in range(1, n) if len(links[i]) < 2)
    tour, prev = [0, start], 0
    while len(tour) < n:
        nxt = next(c for c in links[tour[-1]] if c != prev)
        prev = tour[-1]
        tour.append(nxt)
    return tour


def two_opt(tour, dist, near):
    """Reverse stretches while one shortens the tour: a city and one of its neighbours become adjacent."""
    n = len(tour)
    pos = {city: k for k, city in enumerate(tour)}
    improved = True
    while improved:
        improved = False
        for i in range(n):
            a, b = tour[i], tour[(i + 1) % n]
            for c in near[a]:
                j = pos[c]
                d = tour[(j + 1) % n]
                if c == b or d == a:
                    continue
                if dist[a][c] + dist[b][d] < dist[a][b] + dist[c][d] - 1e-12:
                    lo, hi = (i + 1, j) if i < j else (j + 1, i)
                    tour[lo : hi + 1] = tour[lo : hi + 1][::-1]
                    for k in range(lo, hi + 1):
                        pos[tour[k]] = k
                    improved = True
                    break
            if improved:
                break
    return tour


def or_opt(tour, dist, near):
    """Move a segment of up to SEGMENT_LENGTH cities next to a neighbour of its first city, where that is shorter."""
    n = len(tour)
    for size in range(1, SEGMENT_LENGTH + 1):
        start = 0
        while start < n - size:
            seg = tour[start : start + size]
            before, after = tour[start - 1], tour[(start + size) % n]
            gain = dist[before][seg[0]] + dist[seg[-1]][after] - dist[before][after]
            rest = tour[:start] + tour[start + size :]
            best = None
            for c in near[seg[0]]:
                if c in seg:
                    continue
                k = rest.index(c)
                p, q = rest[k], rest[(k + 1) % len(rest)]
                for first, last in ((seg[0], seg[-1]), (seg[-1], seg[0])):
                    cost = dist[p][first] + dist[last][q] - dist[p][q]
                    if cost < gain - 1e-12 and (best is None or cost < best[0]):
                        best = (cost, k, first == seg[0])
            if best:
                _, k, forward = best
                piece = seg if forward else seg[::-1]
                tour[:] = rest[: k + 1] + piece + rest[k + 1 :]
            else:
                start += 1
    return tour


def solve(cities):
    n = len(cities)
    dist = [[math.hypot(a[0] - b[0], a[1] - b[1]) for b in cities] for a in cities]
    near = [sorted(range(n), key=lambda j: dist[i][j])[1 : NEIGHBOURS + 1] for i in range(n)]
    tour = savings_tour(dist)
    for _ in range(ROUNDS):
        tour = or_opt(two_opt(tour, dist, near), dist, near)
    return tour, tour_length(tour, dist)


def main():
    try:
        cities = read_instance(sys.stdin.read())
    except ValueError as err:
        print(f"route.py: {err}", file=sys.stderr)
        sys.exit(2)
    tour, length = solve(cities)
    print(" ".join(str(city + 1) for city in tour))
    print(f"length {length:.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
