"""Django's deployment checklist passes as the platform ships, outside debug."""

import os
import subprocess
import sys


def test_check_deploy_passes_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    env |= {
        "GONGHUI_DEBUG": "false",
        "GONGHUI_LOCAL_KEYS": "true",
        "GONGHUI_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "gonghui.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
