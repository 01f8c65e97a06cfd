"""Decoding and import time of two revisions, measured in the same run: before and after a change.

python benchmarks/compare.py main HEAD      # any two git revisions

Each revision is exported with `git archive` to a temporary directory and
byte-compiled there (as a deployment is: `python -m compileall`). Over
seven rounds, each revision in turn runs in a fresh process: the best of 25
timings of `decode` of a 20-item session and of `json.loads` of the same body
(their ratio is what to compare: both run under the same load), and the best
of five fresh `python -X importtime -c "import gr4vy_fn"`. Printed: medians
over the rounds.
"""

from __future__ import annotations

import compileall
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, sys, timeit
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
import run
import gr4vy_fn as g
body = run.session_body(20)
request = g.operations.get_checkout_session(run.SESSION_ID)
response = g.HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=body)
assert isinstance(g.decode(request, response), g.CheckoutSession)
decode, loads = timeit.Timer(lambda: g.decode(request, response)), timeit.Timer(lambda: json.loads(body))
best = [min(timer.timeit(300) / 300 * 1e6 for _ in range(25)) for timer in (decode, loads)]
print(json.dumps(best))
"""


def export(revision: str, into: Path) -> Path:
    """Write the package and benchmarks of `revision` under `into`; return that directory."""
    tree = into / revision.replace("/", "_")
    tree.mkdir()
    git = shutil.which("git") or "git"
    archive = subprocess.run(
        [git, "archive", revision, "gr4vy_fn", "benchmarks"], cwd=ROOT, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(tree, filter="data")
    compileall.compile_dir(tree / "gr4vy_fn", quiet=1)  # written even under PYTHONDONTWRITEBYTECODE
    return tree


def import_ms(tree: Path) -> tuple[float, float]:
    """Best of five fresh imports: ms in gr4vy_fn's own modules, and ms with its dependencies."""
    best = (float("inf"), float("inf"))
    for _ in range(5):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import gr4vy_fn"],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
            env={"PYTHONPATH": str(tree)},
            check=True,
        )
        own = total = 0.0
        for line in result.stderr.splitlines():
            self_us, cumulative_us, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
            if not self_us.isdigit():
                continue
            if name.split(".")[0] == "gr4vy_fn":
                own += int(self_us) / 1000
            if name == "gr4vy_fn":
                total = int(cumulative_us) / 1000
        best = min(best, (own, total))
    return best


def main() -> None:
    revisions = sys.argv[1:] or ["main", "HEAD"]
    with tempfile.TemporaryDirectory() as scratch:
        trees = {revision: export(revision, Path(scratch)) for revision in revisions}
        rounds: dict[str, list[tuple[float, ...]]] = {revision: [] for revision in revisions}
        for _ in range(7):
            for revision, tree in trees.items():
                child = [sys.executable, "-c", CHILD, str(tree)]
                decode, loads = json.loads(
                    subprocess.run(child, capture_output=True, text=True, check=True).stdout
                )
                rounds[revision].append((decode, loads, decode / loads, *import_ms(tree)))
    for revision, rows in rounds.items():
        decode, loads, ratio, own, total = (statistics.median(row[i] for row in rows) for i in range(5))
        print(
            f"{revision}: decode {decode:.1f} µs, json.loads {loads:.1f} µs, {ratio:.2f}x json.loads; "
            f"import gr4vy_fn {own:.1f} ms in its own modules, {total:.1f} ms with dependencies"
        )


if __name__ == "__main__":
    main()
