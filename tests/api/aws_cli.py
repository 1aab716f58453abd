"""The real aws CLI (the awscli package) for the tests, without paying a Python start and awscli's imports for
each command (0.6-0.8 s of CPU each, over a hundred commands a run).

``run_cli`` hands the command to a process that imported awscli once (aws_cli_forks.py, one per test process,
so one per xdist worker); it forks a child that runs what the installed ``aws`` script runs, in a process of
its own: its own environment, directory, stdout, stderr and exit status, nothing kept between commands.
``run_aws_process`` starts the installed ``aws`` script itself, for the tests of that script."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

_FORKS = Path(__file__).with_name("aws_cli_forks.py")
_TIMEOUT = 60.0


def cli_environment(key_id: str, secret: str) -> dict[str, str]:
    """The environment a command runs in: this process's, without its AWS_* variables, plus the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_MAX_ATTEMPTS="1")
    return env


class _Forks:
    """The forking process of this test process, started at the first command; one command at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.pending = b""  # answers read but not yet taken
        self.outputs = tempfile.TemporaryDirectory(prefix="aws-cli-")

    def _started(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            self.process = subprocess.Popen([sys.executable, str(_FORKS)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, env=env, bufsize=0)
            self.pending = b""
            atexit.register(self.stop)
        return self.process

    def _answer(self, process: subprocess.Popen, timeout: float | None) -> dict:
        """The next answer line (read from the pipe's descriptor: select sees no buffered lines)."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        while b"\n" not in self.pending:
            if timeout is not None and not select.select([fd], [], [], timeout)[0]:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the aws CLI's forking process ended")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def run(self, args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess:
        with self.lock:
            process = self._started()
            assert process.stdin is not None
            out, err = Path(self.outputs.name, "stdout"), Path(self.outputs.name, "stderr")
            out.write_bytes(b"")
            err.write_bytes(b"")
            request = {"args": list(args), "env": dict(env), "cwd": os.getcwd(), "stdout": str(out), "stderr": str(err)}
            process.stdin.write(json.dumps(request).encode() + b"\n")
            pid = self._answer(process, None)["pid"]
            try:
                status = self._answer(process, _TIMEOUT)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)  # the command's own child, then its end is read as usual
                self._answer(process, None)
                raise subprocess.TimeoutExpired(["aws", *args], _TIMEOUT) from None
            return subprocess.CompletedProcess(["aws", *args], status, out.read_text(errors="replace"),
                                               err.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the end of its requests: it exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.outputs.cleanup()


_FORKS_OF_THIS_PROCESS = _Forks()


def run_cli(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess:
    """``aws *args`` in a process of its own, forked from one that has awscli imported."""
    return _FORKS_OF_THIS_PROCESS.run(args, env)


def run_aws_process(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess:
    """The installed ``aws`` script, started as a process of its own."""
    aws = Path(sys.executable).with_name("aws")
    return subprocess.run([str(aws), *args], env=dict(env), capture_output=True, text=True, timeout=_TIMEOUT)
