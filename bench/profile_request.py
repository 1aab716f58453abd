"""Profile one operation's path through iamd in-process (no HTTP): µs per request, then cProfile.

    .venv/bin/python bench/profile_request.py GetUser|ListUsers|CreateUser [--profile [--sort cumulative]]
        [--no-audit] [--postgresql URL]

CreateUser makes a new user on each request (signed before the timed window).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from starlette.requests import Request  # noqa: E402

from iamd.cli.bootstrap import open_state  # noqa: E402
from iamd.config import Settings  # noqa: E402
from iamd.service.runtime import new_environment  # noqa: E402
from iamd.web.api import QueryApi  # noqa: E402

KEY, SECRET = "AKIABENCHMARKROOT001", "b" * 40


def as_request(raw: bytes) -> tuple[Request, bytes]:
    """A signed HTTP request as the request (over its ASGI scope) and body QueryApi.handle takes."""
    head, body = raw.split(b"\r\n\r\n", 1)
    headers = [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]]
    scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(name.lower(), value) for name, value in headers], "client": ("127.0.0.1", 1),
             "scheme": "http", "server": ("127.0.0.1", 1)}
    return Request(scope), body


def main() -> None:
    action = sys.argv[1] if len(sys.argv) > 1 else "GetUser"
    database_url = ""
    if "--postgresql" in sys.argv:  # a fresh database beside the given one's
        from bench_api import fresh_database_url

        database_url = fresh_database_url(sys.argv[sys.argv.index("--postgresql") + 1])
    state = open_state(Settings(data_dir=tempfile.mkdtemp(), database_url=database_url, account_id="123456789012",
                                root_access_key_id=KEY, root_secret_access_key=SECRET))
    env = new_environment(state.box, Settings(audit="--no-audit" not in sys.argv))
    api = QueryApi(state.store, env)
    env.audit.attach(state.store)  # as the server does: read-only calls' events wait for a flush
    setup = loadgen.sign("127.0.0.1", 1, {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bob"},
                         KEY, SECRET)
    api.handle(*as_request(setup))
    for index in range(100 if action == "ListUsers" else 0):  # a full page to list
        api.handle(*as_request(loadgen.sign("127.0.0.1", 1, {"Action": "CreateUser", "Version": "2010-05-08",
                                                             "UserName": f"user{index:03d}"}, KEY, SECRET)))
    params = {"Action": action, "Version": "2010-05-08"}
    if action == "GetUser":
        params["UserName"] = "bob"
    request, body = as_request(loadgen.sign("127.0.0.1", 1, params, KEY, SECRET))
    count = 3000
    if action == "CreateUser":  # every request a new user, signed before the timed window
        count = 1000
        requests = [as_request(loadgen.sign("127.0.0.1", 1, {**params, "UserName": f"new{round_}x{index}"},
                                            KEY, SECRET)) for round_ in range(3) for index in range(count)]
    else:
        requests = [(request, body)] * (3 * count)
    assert api.handle(*requests.pop())[0] == 200

    def run() -> None:
        for index in range(count):
            api.handle(*requests.pop())
            if index % 1000 == 999:  # the server's background flush, about a second's worth of reads
                env.audit.flush()

    started = time.process_time()
    run()
    print(f"{action}: {(time.process_time() - started) / count * 1e6:.0f} µs CPU per request in-process "
          f"(audit {'off' if '--no-audit' in sys.argv else 'on'})")
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.runcall(run)
        order = sys.argv[sys.argv.index("--sort") + 1] if "--sort" in sys.argv else "tottime"
        pstats.Stats(profiler).sort_stats(order).print_stats(30)


if __name__ == "__main__":
    main()
