"""``neocloud-abm viz``: start the interactive dashboard (``neocloud_abm.app``).

Kept apart from the app so the command line can list ``viz`` without importing Solara,
which is an optional extra.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

from neocloud_abm.core.errors import NeocloudError


def add_viz_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``viz [--port N] [--host H]`` on the command line's subparsers."""
    parser = subparsers.add_parser("viz", help="start the interactive dashboard in a browser")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    parser.add_argument("--host", default="localhost",
                        help="interface to bind (default localhost; 0.0.0.0 for all)")
    parser.set_defaults(func=viz_command)
    return parser


def server_command(port: int, host: str) -> list[str]:
    """The Solara server command line: production mode (no auto-reload, no file watching),
    no browser opened on the server's machine, and no check for a newer Solara on PyPI,
    whose 'please upgrade' notice would contradict the version the project pins (Solara
    reads that setting from this flag only, not from the environment)."""
    return [sys.executable, "-m", "solara", "run", "neocloud_abm.app", "--port", str(port),
            "--host", host, "--production", "--no-open", "--no-check-version"]


def server_env() -> dict[str, str]:
    """Environment for the server: no usage telemetry, which would try to reach the internet."""
    return os.environ | {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def viz_command(args: argparse.Namespace) -> int:
    """Run the dashboard until interrupted; returns the server's exit code."""
    if importlib.util.find_spec("solara") is None:
        raise NeocloudError("the dashboard needs the 'viz' extra: pip install 'neocloud_abm[viz]'")
    print(f"neocloud-abm: dashboard at http://{args.host}:{args.port} (Ctrl-C to stop)")
    try:
        return subprocess.call(server_command(args.port, args.host), env=server_env())
    except KeyboardInterrupt:
        return 130
