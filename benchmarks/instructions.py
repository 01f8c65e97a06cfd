"""Cold starts counted in instructions, under valgrind's callgrind: repeatable on a busy machine.

    python benchmarks/instructions.py

Each client's cold start (a fresh interpreter importing it and making its first
call, as `run.py` times it) runs once under `valgrind --tool=callgrind`
against the same canned loopback server, gr4vy_fn from the byte-compiled copy
`run.py` uses; printed: the instructions of each, and gr4vy_fn's over the
dependency floor's. Wall-clock figures on a shared machine move with its load;
these do not (within about 0.1%).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import run

CLIENTS = ["urllib3", "deps", "gr4vy_fn", "gr4vy_fn-create"]


def instructions(args: list[str], env: run.Env) -> int:
    """The instructions a fresh `python ARGS` runs, counted by callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed")
    result = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
        env=env,
        cwd=run.HERE,  # not the checkout: `-c` imports from the working directory first
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected\s*:\s*(\d+)|refs:\s+([\d,]+)", result.stderr)
    if match is None:
        msg = f"no instruction count in callgrind's output: {result.stderr[-500:]}"
        raise RuntimeError(msg)
    return int((match.group(1) or match.group(2)).replace(",", ""))


def main() -> None:
    with run.compiled_package() as (env, compiled):
        get, created = run.CannedServer(run.session_body(20)), run.CannedServer(run.session_body(20), 201)
        try:
            counts = {
                name: instructions(
                    [str(run.CLIENTS), "cold", name, (created if name.endswith("create") else get).url], env
                )
                for name in CLIENTS
            }
            counts["import gr4vy_fn"] = instructions(["-c", "import gr4vy_fn"], env)
        finally:
            get.close()
            created.close()
    print(f"gr4vy_fn from a byte-compiled copy ({compiled} modules loaded from .pyc)")
    for name, count in counts.items():
        print(f"{name:>16}: {count:>13,} instructions")
    print(f"cold get over the dependency floor: {counts['gr4vy_fn'] / counts['deps']:.3f}x")
    print(f"cold create over the dependency floor: {counts['gr4vy_fn-create'] / counts['deps']:.3f}x")


if __name__ == "__main__":
    main()
