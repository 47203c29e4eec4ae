"""`jd-pipeline dev` / `make dev`: the Dagster UI on 127.0.0.1:3000, stopped cleanly by Ctrl-C.

- `$JD_DATA_DIR/dagster_home` is prepared as for `jd-pipeline run` (runtime/instance.py): created,
  `dagster.yaml` written from the template (`jd_pipeline/runtime/dagster.yaml`) if absent, the
  `duckdb_warehouse` pool limited to 1, Dagster's event batching on.
- `dagster dev -w workspace.yaml` runs in its own session/process group, with SIGINT and SIGTERM
  reset to their defaults (a parent started with `&` hands down *ignored* SIGINT, and dagster
  maps SIGTERM onto the SIGINT handler: it would then ignore both).
- Ctrl-C / SIGTERM to us is forwarded as SIGINT (dagster's graceful shutdown); after a grace
  period the whole group gets SIGTERM, then SIGKILL; finally any process still carrying our
  session token in its environment (a descendant that left the group) is killed by pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import FrameType

from jd_pipeline.config import REPO_ROOT, Settings, get_settings
from jd_pipeline.runtime.instance import instance_environment, prepare_dagster_home

WORKSPACE = REPO_ROOT / "workspace.yaml"
TOKEN_ENV = "JD_DEVSERVER_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
GRACE_SECONDS = 20.0


def dev_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    return [sys.executable, "-m", "dagster", "dev", "-h", host, "-p", str(port), "-w", str(WORKSPACE)]


def _reset_signals() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_dev_server(
    settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> tuple[subprocess.Popen, str]:
    """Start `dagster dev` in a new session; returns (process, session token)."""
    prepare_dagster_home(settings)
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        **instance_environment(settings),
        "JD_DATA_DIR": str(settings.data_dir),
        # `dagster dev` sets DAGSTER_IS_DEV_CLI: DbtProject.prepare_if_dev runs the `dbt` on PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        TOKEN_ENV: token,
    }
    proc = subprocess.Popen(
        dev_command(host, port),
        cwd=str(REPO_ROOT),
        env=env,
        start_new_session=True,
        preexec_fn=_reset_signals,  # noqa: PLW1509 - only resets two signal dispositions
    )
    return proc, token


def stop_dev_server(proc: subprocess.Popen, token: str, grace: float = GRACE_SECONDS) -> int:
    """Graceful SIGINT, then SIGTERM/SIGKILL to the group, then stragglers by token. Returns the exit code."""
    if proc.poll() is None:
        _signal_pid(proc.pid, signal.SIGINT)
        _wait(proc, grace)
    for sig, wait_s in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        if not _group_alive(proc.pid) and proc.poll() is not None:
            break
        _signal_group(proc.pid, sig)
        _wait(proc, wait_s)
    for pid in find_token_processes(token):
        _signal_pid(pid, signal.SIGKILL)
    code = proc.wait()
    return code if code >= 0 else 128 - code


def find_token_processes(token: str) -> list[int]:
    """Pids (other than ours) whose environment holds `JD_DEVSERVER_TOKEN=<token>`."""
    needle = f"{TOKEN_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def run_dev_server(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> int:
    """Run the UI until Ctrl-C or SIGTERM; leaves no process behind. Returns an exit code."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    host = host or os.environ.get("JD_DEV_HOST", DEFAULT_HOST)
    port = port or int(os.environ.get("JD_DEV_PORT", DEFAULT_PORT))
    proc, token = start_dev_server(settings, host, port)
    print(
        f"Dagster UI: http://{host}:{port}  (DAGSTER_HOME={settings.dagster_home}; Ctrl-C to stop)",
        flush=True,
    )
    stopping = {"requested": False}

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping["requested"] = True

    old = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        while proc.poll() is None and not stopping["requested"]:
            time.sleep(0.2)
    finally:
        if stopping["requested"]:
            print("stopping the Dagster UI ...", flush=True)
        code = stop_dev_server(proc, token)
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return 0 if stopping["requested"] else code


# ------------------------------------------------------------------------------------ signals


def _signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _wait(proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None and not _group_alive(proc.pid):
            return
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(run_dev_server())
