"""The examples a newcomer starts from run, and say what they show."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_quickstart_runs_and_agrees_with_numpy():
    result = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")],
                            capture_output=True, text=True, check=True, timeout=120)
    assert "graph loss(" in result.stdout
    assert "def loss(params, x, y):" in result.stdout
    assert "They agree." in result.stdout
