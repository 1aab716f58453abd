"""Roles: the list and a role's page, with what AWS's console lets one change there.

A role's page: the summary (edit the description and the maximum session duration: UpdateRole), its
permissions (attach managed policies with the shared picker, detach them; inline policies through
inline.py), its trust policy (edited in the JSON editor as a trust policy: UpdateAssumeRolePolicy), its
tags, and Delete (DeleteRole: AWS's DeleteConflict text while policies or instance profiles remain).
A service-linked role (path /aws-service-role/) is AWS's to change: shown read-only but for its
description. Creating a role is role_wizard.py.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.web.console.base import Console, Ctx, available, field_errors, page
from iamd.web.console.events import access_advisor
from iamd.web.console.picker import policy_kind, search_policies
from iamd.web.console.policies import editor_errors, problems_of

SERVICE_LINKED_PATH = "/aws-service-role/"
# The console's choices for the maximum session duration, in seconds (AWS allows 1 to 12 hours).
DURATIONS = [(3600, "1 hour"), (7200, "2 hours"), (14400, "4 hours"), (28800, "8 hours"), (43200, "12 hours")]
ROLE_FIELDS = {"roleName": "RoleName", "description": "Description", "maxSessionDuration": "MaxSessionDuration"}


def is_service_linked(role: dict) -> bool:
    return role.get("Path", "").startswith(SERVICE_LINKED_PATH)


def linked_service(role: dict) -> str:
    return role.get("Path", "")[len(SERVICE_LINKED_PATH):].strip("/")


def trusted_entities(role: dict) -> str:
    """The list's "Trusted entities" column, worded as AWS's console words it."""
    try:
        text = role.get("AssumeRolePolicyDocument") or ""
        document = json.loads(unquote(text) if text.startswith("%") else text)
    except (TypeError, ValueError, AttributeError):
        return ""
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    out: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if principal == "*":
            out.append("Anyone")
            continue
        for key, values in (principal.items() if isinstance(principal, dict) else []):
            for value in values if isinstance(values, list) else [values]:
                if key == "Service":
                    out.append("AWS Service: " + str(value).removesuffix(".amazonaws.com"))
                elif key == "AWS":
                    parts = str(value).split(":")
                    out.append("Account: " + (parts[4] if len(parts) > 5 else str(value)))
                else:
                    out.append("Identity Provider: " + str(value))
    return ", ".join(dict.fromkeys(out))


def roles_list(ctx: Ctx) -> Response:
    if not available("ListRoles"):
        return ctx.render("roles.html", nav="roles", roles=[], served=False)
    query = ctx.request.query_params.get("q", "").strip().lower()
    with ctx.api() as api:
        found = api.all_pages("ListRoles", {"MaxItems": 1000}, "Roles")
    return ctx.render("roles.html", nav="roles", served=True, query=query, is_service_linked=is_service_linked,
                      trusted=trusted_entities, roles=[r for r in found if query in r["RoleName"].lower()])


def pretty_document(text) -> str:
    try:
        return json.dumps(json.loads(unquote(text) if isinstance(text, str) and text.startswith("%") else text),
                          indent=4)
    except (TypeError, ValueError):
        return str(text)


def role_detail(ctx: Ctx, errors: dict | None = None, status: int = 200) -> Response:
    name = ctx.path_params["name"]
    with ctx.api() as api:
        role = api.run("GetRole", {"RoleName": name})["Role"]
        attached, attached_error = api.try_run("ListAttachedRolePolicies", {"RoleName": name})
        inline, inline_error = api.try_run("ListRolePolicies", {"RoleName": name})
        tags, tags_error = api.try_run("ListRoleTags", {"RoleName": name})
        profiles, profiles_error = api.try_run("ListInstanceProfilesForRole", {"RoleName": name})
        advisor, advisor_error = access_advisor(api, role["Arn"])
    trust = pretty_document(role.get("AssumeRolePolicyDocument", ""))
    return ctx.render("role.html", nav="roles", role=role, trust=trust,
                      attached=(attached or {}).get("AttachedPolicies", []), attached_error=attached_error,
                      inline=(inline or {}).get("PolicyNames", []), inline_error=inline_error,
                      tags=(tags or {}).get("Tags", []), tags_error=tags_error,
                      profiles=(profiles or {}).get("InstanceProfiles", []), profiles_error=profiles_error,
                      advisor=advisor, advisor_error=advisor_error,
                      service_linked=is_service_linked(role), service=linked_service(role), durations=DURATIONS,
                      policy_kind=policy_kind, form_errors=errors or {}, status=status)


def session_duration(ctx: Ctx, default: int | None = None) -> int | None:
    """The chosen maximum session duration in seconds: one of DURATIONS, or the custom number of hours."""
    chosen = ctx.field("MaxSessionDuration")
    if chosen == "custom":
        chosen = ctx.field("CustomHours")
        try:
            return int(round(float(chosen) * 3600))
        except ValueError:
            return -1  # refused by the operation with AWS's message
    return int(chosen) if chosen.isdigit() else default


def role_action(ctx: Ctx) -> Response:
    name = ctx.path_params["name"]
    action = ctx.field("action")
    try:
        with ctx.api(write=True) as api:
            if action == "update":
                params = {"RoleName": name, "Description": ctx.field("Description")}
                if ctx.field("MaxSessionDuration"):
                    params["MaxSessionDuration"] = session_duration(ctx)
                api.run("UpdateRole", params)
                ctx.flash("The role was updated.")
            elif action == "detach":
                api.run("DetachRolePolicy", {"RoleName": name, "PolicyArn": ctx.field("PolicyArn")})
                ctx.flash("The policy was detached.")
            elif action == "delete-inline":
                api.run("DeleteRolePolicy", {"RoleName": name, "PolicyName": ctx.field("PolicyName")})
                ctx.flash(f"The inline policy {ctx.field('PolicyName')} was deleted.")
            elif action == "add-tags":
                api.run("TagRole", {"RoleName": name, "Tags": [{"Key": ctx.field("TagKey"),
                                                               "Value": ctx.field("TagValue")}]})
                ctx.flash("The tags were saved.")
            elif action == "remove-tag":
                api.run("UntagRole", {"RoleName": name, "TagKeys": [ctx.field("Key")]})
                ctx.flash("The tag was removed.")
            elif action == "delete":
                api.run("DeleteRole", {"RoleName": name})
                ctx.flash(f"The role {name} was deleted.")
                return ctx.redirect("/roles")
    except AwsError as error:
        return role_detail(ctx, errors=field_errors(error, action, ROLE_FIELDS), status=error.status)
    return ctx.redirect(f"/roles/{name}")


def edit_trust(ctx: Ctx) -> Response:
    """Edit trust policy: the JSON editor with the trust policy's checks, then UpdateAssumeRolePolicy."""
    name = ctx.path_params["name"]
    errors: dict = {}
    problems: list = []
    if ctx.request.method == "POST":
        document = ctx.raw_field("PolicyDocument")
        problems = problems_of(document, "trust")
        if problems:
            errors["PolicyDocument"] = [f"Ln {p['line']}, Col {p['column']}: {p['message']}" for p in problems]
        else:
            try:
                with ctx.api(write=True) as api:
                    api.run("UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": document})
                ctx.flash("Trust policy updated.")
                return ctx.redirect(f"/roles/{name}#trust")
            except AwsError as error:
                errors = editor_errors(error)
    with ctx.api() as api:
        role = api.run("GetRole", {"RoleName": name})["Role"]
    if ctx.request.method != "POST":
        document = pretty_document(role.get("AssumeRolePolicyDocument", ""))
    return ctx.render("role_trust.html", nav="roles", role=role, document=document, problems=problems,
                      errors=errors, service_linked=is_service_linked(role), status=400 if errors else 200)


def add_permissions(ctx: Ctx) -> Response:
    """Attach managed policies to the role, with the picker the Add user wizard uses."""
    name = ctx.path_params["name"]
    query = ctx.field("q") if ctx.form is not None else ctx.request.query_params.get("q", "")
    errors: dict = {}
    if ctx.request.method == "POST" and ctx.field("action") == "add":
        try:
            with ctx.api(write=True) as api:
                for arn in ctx.fields("PolicyArn"):
                    api.run("AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
            ctx.flash("The policies were attached.")
            return ctx.redirect(f"/roles/{name}#permissions")
        except AwsError as error:
            errors = field_errors(error, "form")
    with ctx.api() as api:
        api.run("GetRole", {"RoleName": name})
        policies, total = search_policies(api, query)
    return ctx.render("role_add_permissions.html", nav="roles", name=name, query=query, policies=policies,
                      total=total, errors=errors, policy_kind=policy_kind, chosen_policies=ctx.fields("PolicyArn"),
                      status=400 if errors else 200)


def routes(console: Console) -> list[Route]:
    return [
        Route("/roles", page(console, roles_list), methods=["GET"]),
        Route("/roles/{name}", page(console, role_detail), methods=["GET"]),
        Route("/roles/{name}/action", page(console, role_action), methods=["POST"]),
        Route("/roles/{name}/trust", page(console, edit_trust), methods=["GET", "POST"]),
        Route("/roles/{name}/add-permissions", page(console, add_permissions), methods=["GET", "POST"]),
    ]
