"""The ASGI application: the Query API on ``/``, the web console under ``/console``, and the background
flush of access-key use."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount, Route

from iamd.service.context import Environment
from iamd.store.database import Store
from iamd.web.api import QueryApi
from iamd.web.coverage import check_operations
from iamd.web.operations_routes import operations_routes

log = logging.getLogger("iamd")

FLUSH_SECONDS = 1.0


class ApiFirst:
    """The Query API's requests (GET, HEAD and POST on /) go straight to it; everything else, and the
    lifespan, through Starlette's middleware and routing, which would cost a third of a GetUser."""

    def __init__(self, api: QueryApi, app: Starlette):
        self.api, self.app = api, app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in _API_METHODS:
            await self.api(scope, receive, send)
        else:
            await self.app(scope, receive, send)


_API_METHODS = frozenset({"GET", "HEAD", "POST"})


class LazyConsole:
    """The web console, built at its first request: its templates and imports are not on the way to
    a server's first answer, and an API-only server never pays for them."""

    def __init__(self, store: Store, env: Environment):
        self.store, self.env, self.app = store, env, None

    async def __call__(self, scope, receive, send) -> None:
        if self.app is None:
            from iamd.web.console import create_console

            self.app = create_console(self.store, self.env)
        await self.app(scope, receive, send)


def create_app(store: Store, env: Environment) -> ApiFirst:
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

    # The route on / answers only what ApiFirst does not take: other methods (405, as before).
    routes = [Route("/", api, methods=["GET", "POST"]), *operations_routes(store),
              Mount("/console", app=LazyConsole(store, env))]
    return ApiFirst(api, Starlette(routes=routes, lifespan=lifespan))
