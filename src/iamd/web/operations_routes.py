"""Endpoints for the people who run iamd: liveness, readiness and Prometheus metrics.

``/health`` answers while the process serves; ``/ready`` also asks the database (a load balancer
takes a process out of rotation while its database is unreachable); ``/metrics`` is Prometheus's
text format. None needs credentials and none shows anything about identities or secrets.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd import telemetry
from iamd.service import runtime
from iamd.service.runtime import Store

log = logging.getLogger("iamd.health")


def operations_routes(store: Store) -> list[Route]:
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def database_answers() -> bool:
        try:
            runtime.database_answers(store)
            return True
        except Exception as error:  # any failure means not ready; say which kind, never a URL or password
            log.warning("readiness: the database does not answer (%s)", type(error).__name__)
            return False

    async def ready(_request: Request) -> Response:
        if await run_in_threadpool(database_answers):
            return JSONResponse({"status": "ready", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    async def metrics(_request: Request) -> Response:
        body, content_type = telemetry.render()
        return Response(body, media_type=content_type)

    return [Route("/health", health, methods=["GET", "HEAD"]), Route("/ready", ready, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET"])]
