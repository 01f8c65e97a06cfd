"""The build: setup.cfg holds the metadata; this adds the long description a package index shows.

It is the README with its relative links (docs/quickstart.md, LICENSE) made absolute to the
repository, since on an index they would resolve against the index's own pages.
"""

import re
from pathlib import Path

REPOSITORY = "https://github.com/gr4vy-fn/gr4vy_fn"
# A markdown link target that has no scheme and is not an anchor within the page.
RELATIVE_LINK = re.compile(r"\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:|#)([^)\s]+)\)")


def long_description() -> str:
    """Return the README's text with every relative link pointing at the repository's default branch."""
    readme = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    return RELATIVE_LINK.sub(lambda link: f"]({REPOSITORY}/blob/HEAD/{link.group(1)})", readme)


if __name__ == "__main__":  # setuptools runs this file as __main__; .ci/run reads long_description
    from setuptools import setup

    setup(long_description=long_description())
