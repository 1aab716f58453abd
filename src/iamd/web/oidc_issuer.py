"""iamd's OIDC issuers on the web: ``/oidc/<issuer id>/.well-known/openid-configuration`` and
``/oidc/<issuer id>/.well-known/jwks.json``, public and unauthenticated as discovery documents are."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.service.context import Environment
from iamd.service.sts.outbound_federation import issuer_documents
from iamd.store.database import Store

# Verifiers may cache this long; a new key is published well before it signs (see the rotation in
# service/sts/outbound_federation.py: tokens of a new kid also make verifiers fetch the JWKS again).
CACHE_SECONDS = 300


def routes(store: Store, env: Environment) -> list[Route]:
    def documents(issuer_id: str):
        with store.transaction(write=False) as tx:
            return issuer_documents(tx, issuer_id, env.issuer_base, datetime.now(UTC),
                                    env.key_rotation_seconds)

    async def serve(request: Request) -> Response:
        name = request.path_params["document"]
        found = None
        if name in ("openid-configuration", "jwks.json"):
            found = await run_in_threadpool(documents, request.path_params["issuer_id"])
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        document = found[0] if name == "openid-configuration" else found[1]
        return JSONResponse(document, headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})

    return [Route("/oidc/{issuer_id}/.well-known/{document:str}", serve, methods=["GET"])]
