"""The ASGI application: the Query API on ``/``, the web console under ``/console``, and the background
flush of access-key use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from iamd.audit.retention import prune
from iamd.service.context import Environment
from iamd.store.database import Store
from iamd.web.api import QueryApi
from iamd.web.console import create_console, saml_signin
from iamd.web.json_api import JsonApi, is_json_request
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

    async def prune_forever() -> None:
        """The operator's retention (IAMD_AUDIT_RETENTION_DAYS), applied in the background in small batches."""
        audit = env.audit
        while audit is not None and audit.retention_days > 0:
            try:
                await run_in_threadpool(prune, store, audit.retention_days, datetime.now(timezone.utc))
            except Exception:  # the next round retries
                log.exception("pruning old events failed")
            await asyncio.sleep(audit.prune_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(flush_forever())
        pruning = asyncio.create_task(prune_forever())
        try:
            yield
        finally:
            pruning.cancel()
            task.cancel()
            flush_last_used()
            store.dispose()

    json_api = JsonApi(store, env, threaded=not store.is_sqlite)

    async def root(request):  # the Query API, or CloudTrail's JSON protocol (X-Amz-Target)
        return await (json_api.endpoint(request) if is_json_request(request) else api.endpoint(request))

    console = create_console(store, env)
    # /saml: where an IdP posts its SAMLResponse, as to https://signin.aws.amazon.com/saml.
    routes = [Route("/", root, methods=["GET", "POST"]), *operations_routes(store),
              *oidc_issuer_routes(store, env),
              Route("/policy/generation", json_api.endpoint, methods=["GET", "PUT"]),
              Route("/policy/generation/{job_id}", json_api.endpoint, methods=["GET"]),
              Route("/saml", saml_signin.idp_endpoint(console.console), methods=["POST"]),
              Mount("/console", app=console)]
    # Inside Starlette's error handling, so that the 408 and 413 raised while reading a body are answered.
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Limits, read_timeout=read_timeout)])
