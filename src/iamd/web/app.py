"""The ASGI application: the Query API on ``/``, the web console under ``/console``, and the background
flush of access-key use."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from iamd.service.context import Environment
from iamd.store.database import Store
from iamd.web.api import QueryApi
from iamd.web.console import create_console, saml_signin
from iamd.web.coverage import check_operations
from iamd.web.oidc_issuer import routes as oidc_issuer_routes
from iamd.web.operations_routes import operations_routes
from iamd.web.limits import Limits

log = logging.getLogger("iamd")

FLUSH_SECONDS = 1.0


def create_app(store: Store, env: Environment, read_timeout: float = 10.0) -> Starlette:
    check_operations()
    api = QueryApi(store, env, threaded=not store.is_sqlite)

    def flush_last_used() -> None:
        if env.last_used:
            with store.transaction(write=True) as tx:
                env.last_used.flush(tx)

    async def flush_forever() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await run_in_threadpool(flush_last_used)
            except Exception:  # keep flushing; the next round retries what is still pending
                log.exception("flushing access key use failed")

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(flush_forever())
        try:
            yield
        finally:
            task.cancel()
            flush_last_used()
            store.dispose()

    console = create_console(store, env)
    # /saml: where an IdP posts its SAMLResponse, as to https://signin.aws.amazon.com/saml.
    routes = [Route("/", api.endpoint, methods=["GET", "POST"]), *operations_routes(store),
              *oidc_issuer_routes(store, env),
              Route("/saml", saml_signin.idp_endpoint(console.console), methods=["POST"]),
              Mount("/console", app=console)]
    # Inside Starlette's error handling, so that the 408 and 413 raised while reading a body are answered.
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Limits, read_timeout=read_timeout)])
