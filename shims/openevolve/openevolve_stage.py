"""Runs an OpenEvolve evaluator as an evoloop stage (written by `evoloop import openevolve`).

    python3 verifier/openevolve_stage.py evaluate PROGRAM [--features a,b]
    python3 verifier/openevolve_stage.py cascade PROGRAM --thresholds T1,T2 [--features a,b]

`evaluate` calls evaluate(PROGRAM) in verifier/evaluator.py (awaited when it is async); `cascade` runs evaluate_stage1,
2, 3 as OpenEvolve does: the next stage runs only while the score so far reaches its
threshold, and a program stopped early keeps the metrics it has (a low score, not a
failure: OpenEvolve keeps it in its population too). The result (a dict or an
EvaluationResult) becomes evoloop metrics: every numeric value (bools as 0/1) except
`error`, merged over the stages, plus `combined_score` as OpenEvolve computes fitness when
the evaluator gives none (the mean of the numeric metrics other than the MAP-Elites
features). A result with an `error` and every number 0 fails the stage (fail_if_error). Text artifacts become the stage's feedback and files in $EVOLOOP_ARTIFACTS. The
evaluator's own prints go to stderr, so nothing it or the program prints can be read as a
metric; the metrics go to $EVOLOOP_METRICS only.
"""

import asyncio
import inspect
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FEEDBACK_LIMIT = 4000


def main(argv):
    if len(argv) < 2 or argv[0] not in ("evaluate", "cascade"):
        sys.exit("usage: openevolve_stage.py evaluate|cascade PROGRAM [--thresholds T1,T2] [--features a,b]")
    mode, program = argv[0], os.path.abspath(argv[1])
    thresholds = [float(t) for t in (option(argv, "--thresholds") or "").split(",") if t]
    features = [f for f in (option(argv, "--features") or "").split(",") if f]
    # The path is not left in the environment the evaluator (and a program it imports) sees.
    metrics_file = os.environ.pop("EVOLOOP_METRICS")

    sys.path.insert(0, HERE)  # the evaluator's own modules, and openevolve.evaluation_result
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        import evaluator  # noqa: E402  (verifier/evaluator.py)

        metrics, artifacts = {}, {}
        functions = ["evaluate"] if mode == "evaluate" else cascade_functions(evaluator)
        for i, function in enumerate(functions):
            if i > 0 and (i > len(thresholds) or not fitness(metrics, features) >= thresholds[i - 1]):
                break  # OpenEvolve's cascade stops here and keeps what it has
            result = getattr(evaluator, function)(program)
            if inspect.iscoroutine(result):  # an `async def evaluate`
                result = asyncio.run(result)
            raw, found = split(function, result)
            artifacts.update(found)
            fail_if_error(function, raw, artifacts)
            for name, value in raw.items():
                if isinstance(value, bool):
                    metrics[name] = 1.0 if value else 0.0
                elif isinstance(value, (int, float)):
                    if name != "error":
                        metrics[name] = float(value)
                else:
                    artifacts.setdefault(name, value)  # OpenEvolve keeps non-numbers out of fitness too
    finally:
        sys.stdout = real_stdout

    if not metrics:
        sys.exit(f"the evaluator returned no numeric metric (artifacts: {json.dumps(artifacts, default=str)[:300]})")
    metrics["combined_score"] = fitness(metrics, features)
    feedback = write_artifacts(artifacts)
    # NaN and infinities are written as the strings "NaN", "Infinity": evoloop refuses them by name.
    report = {k: v if math.isfinite(v) else str(v).replace("inf", "Infinity").replace("nan", "NaN") for k, v in metrics.items()}
    if feedback:
        report["feedback"] = feedback[:FEEDBACK_LIMIT]
    with open(metrics_file, "w") as f:
        f.write(json.dumps(report))


def cascade_functions(evaluator):
    """evaluate_stage1, 2, 3 up to the first one missing."""
    found = []
    for name in ("evaluate_stage1", "evaluate_stage2", "evaluate_stage3"):
        if not hasattr(evaluator, name):
            break
        found.append(name)
    return found


def fitness(metrics, features):
    """combined_score when given, else the mean of the numeric metrics other than the features."""
    if "combined_score" in metrics:
        return metrics["combined_score"]
    scored = [v for k, v in metrics.items() if k not in features and not math.isnan(v)]
    return sum(scored) / len(scored) if scored else 0.0


def option(argv, name):
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def split(function, result):
    if result is None:
        sys.exit(f"{function}() returned None instead of a dict or an EvaluationResult")
    if isinstance(result, dict):
        return dict(result), {}
    metrics = getattr(result, "metrics", None)
    if not isinstance(metrics, dict):
        sys.exit(f"{function}() returned {type(result).__name__}, not a dict or an EvaluationResult")
    return dict(metrics), dict(getattr(result, "artifacts", None) or {})


def fail_if_error(function, raw, artifacts):
    """`{"combined_score": 0.0, "error": str(e)}` is how OpenEvolve's evaluators say they could not
    evaluate the program (a missing module, a crash they caught): every number 0 and an error.
    OpenEvolve keeps such a program with fitness 0; evoloop fails the stage with the error as the
    reason, so a baseline that cannot be evaluated is refused by name instead of measured as 0.
    A result with an error and some non-zero number (partial credit) stays a measurement."""
    error = raw.get("error", artifacts.get("error"))
    numbers = [v for k, v in raw.items() if k != "error" and isinstance(v, (int, float))]
    if error in (None, "", False) or any(v != 0 for v in numbers):
        return
    for name, value in artifacts.items():  # the evaluator's traceback, before the reason (the tail is kept)
        if name != "error" and isinstance(value, str):
            print(f"{name}: {value[-FEEDBACK_LIMIT:]}", file=sys.stderr)
    sys.exit(f"{function}() reported an error (and every metric 0): {str(error)[:FEEDBACK_LIMIT]}")


def write_artifacts(artifacts):
    folder = os.environ.get("EVOLOOP_ARTIFACTS")
    lines = []
    for name, value in artifacts.items():
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))[:80] or "artifact"
        data = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        if folder:
            suffix = "" if "." in safe else (".bin" if isinstance(value, bytes) else ".txt")
            with open(os.path.join(folder, safe + suffix), "wb") as f:
                f.write(data)
        if not isinstance(value, bytes):
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
