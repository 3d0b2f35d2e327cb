"""The suite without torch: every test module that needs it skips (``pytest.importorskip``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# a finder that makes ``import torch`` raise ImportError (as if torch were not installed),
# then the whole suite collected
COLLECT_WITHOUT_TORCH = """
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
import pytest

sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]]))
"""


@pytest.mark.slow
def test_the_suite_is_collected_without_torch():
    done = subprocess.run(
        [sys.executable, "-c", COLLECT_WITHOUT_TORCH, str(TESTS)],
        capture_output=True,
        text=True,
        cwd=TESTS.parent,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "tests collected" in done.stdout.splitlines()[-1]
