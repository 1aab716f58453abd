"""Roles: the list and a role's page (trust policy, permissions, tags), when the server serves roles."""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.responses import Response
from starlette.routing import Route

from iamd.web.console.base import Console, Ctx, available, page
from iamd.web.console.picker import policy_kind


def roles_list(ctx: Ctx) -> Response:
    if not available("ListRoles"):
        return ctx.render("roles.html", nav="roles", roles=[], served=False)
    query = ctx.request.query_params.get("q", "").strip().lower()
    with ctx.api() as api:
        found = api.all_pages("ListRoles", {"MaxItems": 1000}, "Roles")
    return ctx.render("roles.html", nav="roles", served=True, query=query,
                      roles=[r for r in found if query in r["RoleName"].lower()])


def _document(text) -> str:
    try:
        return json.dumps(json.loads(unquote(text) if isinstance(text, str) and text.startswith("%") else text),
                          indent=4)
    except (TypeError, ValueError):
        return str(text)


def role_detail(ctx: Ctx) -> Response:
    name = ctx.path_params["name"]
    with ctx.api() as api:
        role = api.run("GetRole", {"RoleName": name})["Role"]
        attached, attached_error = api.try_run("ListAttachedRolePolicies", {"RoleName": name})
        inline, inline_error = api.try_run("ListRolePolicies", {"RoleName": name})
        tags, tags_error = api.try_run("ListRoleTags", {"RoleName": name})
    return ctx.render("role.html", nav="roles", role=role, trust=_document(role.get("AssumeRolePolicyDocument", "")),
                      attached=(attached or {}).get("AttachedPolicies", []), attached_error=attached_error,
                      inline=(inline or {}).get("PolicyNames", []), inline_error=inline_error,
                      tags=(tags or {}).get("Tags", []), tags_error=tags_error, policy_kind=policy_kind)


def routes(console: Console) -> list[Route]:
    return [
        Route("/roles", page(console, roles_list), methods=["GET"]),
        Route("/roles/{name}", page(console, role_detail), methods=["GET"]),
    ]
