"""`rounds slack --http manifest` without SLACK_REQUEST_URL still prints the manifest, and says on stderr how to
set the URL its placeholder stands for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bots.slack.manifest import PLACEHOLDER_URL

ROOT = Path(__file__).resolve().parents[2]


def manifest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {"PYTHONPATH": str(ROOT)} | env
    return subprocess.run([sys.executable, "-m", "bots.cli", "slack", *args, "manifest"], capture_output=True,
                          text=True, env=full, timeout=30, cwd=ROOT)


def test_http_manifest_without_a_request_url_warns_on_stderr_and_still_prints() -> None:
    done = manifest("--http")
    assert done.returncode == 0
    assert yaml.safe_load(done.stdout)["settings"]["interactivity"]["request_url"] == PLACEHOLDER_URL
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_REQUEST_URL is not set" in lines[0] and PLACEHOLDER_URL in lines[0]


def test_http_manifest_with_a_request_url_is_quiet() -> None:
    done = manifest("--http", SLACK_REQUEST_URL="https://bot.example.com/slack/events")
    assert done.returncode == 0 and done.stderr == ""
    assert yaml.safe_load(done.stdout)["settings"]["interactivity"]["request_url"] == "https://bot.example.com/slack/events"


def test_socket_mode_manifest_needs_no_url_and_is_quiet() -> None:
    done = manifest()
    assert done.returncode == 0 and done.stderr == ""
