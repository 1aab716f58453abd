"""A process that has imported the aws CLI once and forks a child for each command; each child runs what the
installed ``aws`` script runs (``sys.exit(awscli.clidriver.main())``) in a process of its own. Run as a
script by tests/api/aws_cli.py, never imported by the tests: awscli must be imported before botocore, as in
the ``aws`` script (awscli 1.4x makes ``import botocore`` load the copy it ships), and only stdlib besides.

Requests come on stdin, one JSON object a line: {"args", "env", "cwd", "stdout", "stderr"} (the last two
are files for the child's output). Answers go out on the original stdout, one JSON object a line:
{"pid"} when the child is started, then {"status"} (its exit status, as subprocess gives it) when it ends.
The process ends at the end of its stdin."""

import json
import os
import sys

import awscli.clidriver  # first, as the script imports it

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(awscli.__file__)), "data")


def _child(request: dict) -> None:
    """The command's process: its output files, directory and environment, then the script's code."""
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY),
                            (2, request["stderr"], os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(request["cwd"])
    env = dict(request["env"])
    # What importing awscli does to the script's environment (awscli/__init__.py): its data directory last.
    env["AWS_DATA_PATH"] = os.pathsep.join([p for p in [env.get("AWS_DATA_PATH")] if p] + [_DATA_DIR])
    if env.get("LC_CTYPE", "") == "UTF-8":  # as the script does
        env["LC_CTYPE"] = "en_US.UTF-8"
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["aws", *request["args"]]
    sys.exit(awscli.clidriver.main())  # unwinds this process only, to the interpreter's normal exit


def _warm_up() -> None:
    """Once, before the first fork: what every command does first (awscli's lazy imports, the command table,
    an IAM client), so each child starts from warm module caches: about half a command's CPU. Children still
    build their own session, loader and driver from nothing."""
    saved = dict(os.environ)
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    try:
        driver = awscli.clidriver.create_clidriver()
        commands = driver._get_command_table()  # the driver's own first step, done ahead
        for service in ("iam", "sts"):
            commands[service]._get_command_table()
            driver.session.create_client(service, region_name="us-east-1")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def serve() -> None:
    _warm_up()
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # nothing of this process's own goes where the answers go
    os.close(quiet)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(request)
        answers.write(json.dumps({"pid": pid}) + "\n")
        _, wait_status = os.waitpid(pid, 0)
        answers.write(json.dumps({"status": os.waitstatus_to_exitcode(wait_status)}) + "\n")


if __name__ == "__main__":
    serve()
