"""The ASGI application: the Query API on ``/`` (and CloudTrail's and Access Analyzer's JSON APIs), the web
console under ``/console``, health and metrics, the OIDC issuer; the background flush of access-key use
and of read-only calls' audit events, and pruning of old events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from iamd.audit.retention import prune
from iamd.config import Settings
from iamd.service.context import Environment
from iamd.service.runtime import Store
from iamd.web.api import QueryApi
from iamd.web.authorization_api import AuthorizationApi, is_authorization_request
from iamd.web.coverage import check_operations
from iamd.web.gateway import create_gateway, for_gateway
from iamd.web.json_api import JsonApi, is_json_request
from iamd.web.limits import Limits
from iamd.web.oidc_issuer import routes as oidc_issuer_routes
from iamd.web.operations_routes import operations_routes

log = logging.getLogger("iamd")

FLUSH_SECONDS = 1.0
_API_METHODS = frozenset({"GET", "HEAD", "POST"})


class ApiFirst:
    """The Query API's requests (GET, HEAD and POST on /, without X-Amz-Target) go straight to it, and
    the authorization API's (POST on / with an IamdAuthorization.* target) to it; everything else, and
    the lifespan, through Starlette's middleware and routing, which would cost a third of a GetUser.
    Both APIs apply the same body limits themselves (web/api.py read_body).

    With an upstream (``iamd serve --upstream URL``), a request for another service goes straight to the
    gateway first (web/gateway.py ``for_gateway``): it streams its bodies and applies its own limits."""

    def __init__(self, api: QueryApi, app: Starlette, authorization: AuthorizationApi | None = None, gateway=None):
        self.api, self.app, self.authorization, self.gateway = api, app, authorization, gateway

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/" and scope["method"] in _API_METHODS:
                if not _has_target(scope["headers"]):
                    if self.gateway is None or not for_gateway(scope):
                        return await self.api(scope, receive, send)
                elif self.authorization is not None and is_authorization_request(scope["headers"]):
                    return await self.authorization(scope, receive, send)
            if self.gateway is not None and for_gateway(scope):
                return await self.gateway(scope, receive, send)
        await self.app(scope, receive, send)


def _has_target(headers) -> bool:
    """Whether a request has an X-Amz-Target header (a JSON API's), by a plain loop: any() over a
    generator resumes a frame per header, on every request."""
    for name, _ in headers:
        if name == b"x-amz-target":
            return True
    return False


class LazyConsole:
    """The web console, built at its first request: its templates and imports are not on the way to
    a server's first answer, and an API-only server never pays for them."""

    def __init__(self, store: Store, env: Environment):
        self.store, self.env, self.app = store, env, None

    def built(self):
        if self.app is None:
            from iamd.web.console import create_console  # deferred: see the class's docstring

            self.app = create_console(self.store, self.env)
        return self.app

    async def __call__(self, scope, receive, send) -> None:
        await self.built()(scope, receive, send)

    async def saml(self, request):
        """/saml: where an IdP posts its SAMLResponse, as to https://signin.aws.amazon.com/saml."""
        from iamd.web.console import saml_signin  # built with the console

        return await saml_signin.idp_endpoint(self.built().console)(request)


def create_app(store: Store, env: Environment, read_timeout: float = 10.0, settings: Settings | None = None
               ) -> ApiFirst:
    check_operations()
    gateway = create_gateway(store, env, settings, read_timeout) if settings is not None else None
    api = QueryApi(store, env, threaded=not store.is_sqlite)
    api.read_timeout = read_timeout

    if env.audit is not None:
        env.audit.attach(store)  # read-only calls' events wait in memory for flush_forever

    def flush_last_used() -> None:
        if env.last_used:
            with store.transaction(write=True) as tx:
                env.last_used.flush(tx)

    def flush_events(by: str) -> None:
        if env.audit is None:
            return
        try:
            env.audit.flush(by)
        except Exception:  # the events stay pending; the next round retries
            log.exception("writing the deferred audit events failed")

    async def flush_forever() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await run_in_threadpool(flush_last_used)
            except Exception:  # keep flushing; the next round retries what is still pending
                log.exception("flushing access key use failed")

    async def flush_events_forever() -> None:
        while env.audit is not None:
            await asyncio.sleep(env.audit.flush_seconds)
            await run_in_threadpool(flush_events, "background")

    async def prune_forever() -> None:
        """The operator's retention (IAMD_AUDIT_RETENTION_DAYS), applied in the background in small batches."""
        audit = env.audit
        while audit is not None and audit.retention_days > 0:
            try:
                await run_in_threadpool(prune, store, audit.retention_days, datetime.now(UTC))
            except Exception:  # the next round retries
                log.exception("pruning old events failed")
            await asyncio.sleep(audit.prune_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        tasks = [asyncio.create_task(flush_forever()), asyncio.create_task(flush_events_forever()),
                 asyncio.create_task(prune_forever())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if gateway is not None:
                await gateway.close()
            flush_last_used()
            if env.audit is not None:
                flush_events("shutdown")  # a graceful stop loses no event
            store.dispose()

    json_api = JsonApi(store, env, threaded=not store.is_sqlite)

    async def root(request):  # the Query API, or CloudTrail's JSON protocol (X-Amz-Target)
        return await (json_api.endpoint(request) if is_json_request(request) else api.endpoint(request))

    console = LazyConsole(store, env)
    routes = [Route("/", root, methods=["GET", "POST"]), *operations_routes(store),
              *oidc_issuer_routes(store, env),
              Route("/policy/generation", json_api.endpoint, methods=["GET", "PUT"]),
              Route("/policy/generation/{job_id}", json_api.endpoint, methods=["GET"]),
              Route("/saml", console.saml, methods=["POST"]),
              Mount("/console", app=console)]
    # Inside Starlette's error handling, so that the 408 and 413 raised while reading a body are answered.
    authorization = AuthorizationApi(store, env, threaded=not store.is_sqlite)
    authorization.read_timeout = read_timeout
    return ApiFirst(api, Starlette(routes=routes, lifespan=lifespan,
                                   middleware=[Middleware(Limits, read_timeout=read_timeout)]), authorization, gateway)
