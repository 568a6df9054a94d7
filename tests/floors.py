"""Print pyproject.toml's runtime dependencies pinned to their floors, as a pip constraints file.

``python -m tests.floors > floors.txt`` then ``pip install -c floors.txt ...`` installs the lowest
versions the package declares it works with (make test-floors).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_FLOOR = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:[^,]*,)*\s*>=\s*(?P<version>[^,;\s]+)")


def floors(dependencies: list[str]) -> list[str]:
    """Each dependency with a >= bound, as name==bound; one without a floor is an error."""
    pinned = []
    for dependency in dependencies:
        match = _FLOOR.match(dependency)
        if match is None:
            raise SystemExit(f"pyproject.toml: {dependency!r} declares no floor (>=)")
        pinned.append(f"{match['name']}=={match['version']}")
    return pinned


if __name__ == "__main__":
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    sys.stdout.write("".join(f"{line}\n" for line in floors(project["dependencies"])))
