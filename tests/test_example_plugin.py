"""The tutorial's example plugin (docs/examples/evalplatform-example), installed through its
entry point and driven by its own tests, which use the core's fixtures.

It runs in a process of its own, on a SQLite database of its own: its models join the
metadata of whatever process imports them, and its table would otherwise outlive it in
the suite's shared database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "evalplatform-example"


def install(site: Path) -> None:
    """What ``pip install`` leaves for the entry point: a dist-info naming the module."""
    dist = site / "evalplatform_example-1.0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: evalplatform-example\nVersion: 1.0.0\n")
    (dist / "entry_points.txt").write_text(
        "[evalplatform.plugins]\nexample = evalplatform_example\n")


def test_the_example_plugin_passes_its_own_tests(tmp_path):
    install(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), str(EXAMPLE),
                                         env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "pytest")],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
