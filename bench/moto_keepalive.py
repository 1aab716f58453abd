"""moto's server application behind uvicorn (its WSGI interface), which keeps connections alive: moto's own
server (Werkzeug) answers every request with ``Connection: close``, so a gateway in front of it connects
anew per request. bench/bench_gateway.py --upstream keepalive runs this to measure the forward with
connection reuse, as towards an upstream that allows it (AWS's endpoints do).

    .venv/bin/python -m uvicorn --interface wsgi --port PORT --no-access-log --app-dir bench moto_keepalive:app
"""

from __future__ import annotations

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

app = DomainDispatcherApplication(create_backend_app)
