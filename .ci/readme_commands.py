"""Print the shell lines of the README's "Install" and "The two commands" sections, as written.

CI runs them in a fresh clone, so the README's instructions and CI cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SECTIONS = ("Install", "The two commands")


def shell_lines(readme: str) -> list[str]:
    """The lines of every ```sh block under the SECTIONS headings, in order."""
    lines: list[str] = []
    for section in re.split(r"^## ", readme, flags=re.M)[1:]:
        title = section.splitlines()[0].strip()
        if title in SECTIONS:
            for block in re.findall(r"^```sh\n(.*?)^```", section, flags=re.S | re.M):
                lines += block.splitlines()
    return lines


if __name__ == "__main__":
    found = shell_lines(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if not any("gr4vy_fn demo" in line for line in found) or not any("pytest" in line for line in found):
        sys.exit(f"{sys.argv[1]}: no demo or test command found under {SECTIONS}")
    print("\n".join(found))
