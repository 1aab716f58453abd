"""Policies: AWS and customer managed, a policy's document and versions, and the JSON editor.

The editor's checks are ``iamd.policy.check_policy``: every problem with its line and column, shown
beside the document (and as the user types, through ``/console/policies/validate``). The operation that
saves the document (CreatePolicy, CreatePolicyVersion) still has the last word: its MalformedPolicyDocument
message goes beside the editor too.
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.errors import AwsError, LimitExceeded, MalformedPolicyDocument
from iamd.service import policy_documents
from iamd.service.authorization_api import registry
from iamd.web.console.base import Console, Ctx, field_errors, page
from iamd.web.console.picker import policy_kind

TEMPLATE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []}]}, indent=4)


def _pretty(document: str) -> str:
    try:
        return json.dumps(json.loads(document), indent=4)
    except ValueError:
        return document


def policies_list(ctx: Ctx) -> Response:
    scope = ctx.request.query_params.get("scope", "All")
    scope = scope if scope in ("All", "AWS", "Local") else "All"
    query = ctx.request.query_params.get("q", "").strip().lower()
    with ctx.api() as api:
        found = api.all_pages("ListPolicies", {"Scope": scope, "MaxItems": 1000}, "Policies")
    rows = [p for p in found if query in p["PolicyName"].lower()]
    rows.sort(key=lambda p: (p["Arn"].startswith("arn:aws:iam::aws:"), p["PolicyName"].lower()))
    return ctx.render("policies.html", nav="policies", policies=rows[:300], total=len(rows), scope=scope,
                      query=query, policy_kind=policy_kind)


def problems_of(document: str, kind: str = "identity") -> list[dict]:
    return policy_documents.problems(document, kind)


def validate(ctx: Ctx) -> Response:
    document = ctx.raw_field("document")
    kind = ctx.field("kind", "identity")
    problems = policy_documents.problems(document, kind)
    with ctx.console.store.transaction(write=False) as tx:  # registered services' actions: warnings only
        warnings = registry.editor_warnings(tx, document) if not problems else []
    return JSONResponse({"problems": problems, "warnings": warnings})


def known_actions(ctx: Ctx) -> Response:
    """iamd's own and the registered services' actions, which the editor offers (AWS's are too many to list)."""
    with ctx.console.store.transaction(write=False) as tx:
        return JSONResponse({"actions": registry.known_actions(tx)})


def editor_errors(error: AwsError, default: str = "PolicyDocument", editor: str = "PolicyDocument") -> dict:
    """AWS's MalformedPolicyDocument and LimitExceeded go beside the editor; anything else by its field."""
    if isinstance(error, (MalformedPolicyDocument, LimitExceeded)):
        return {editor: [error.message]}
    return field_errors(error, default)


def create_policy(ctx: Ctx) -> Response:
    values = {"name": ctx.field("PolicyName"), "description": ctx.field("Description"),
              "path": ctx.field("Path"), "document": ctx.raw_field("PolicyDocument") or TEMPLATE}
    errors, problems = {}, []
    if ctx.request.method == "POST":
        problems = problems_of(values["document"], "managed")
        if problems:
            errors["PolicyDocument"] = [f"Ln {p['line']}, Col {p['column']}: {p['message']}" for p in problems]
        else:
            try:
                with ctx.api(write=True) as api:
                    created = api.run("CreatePolicy", {
                        "PolicyName": values["name"], "PolicyDocument": values["document"],
                        "Description": values["description"] or None, "Path": values["path"] or None})["Policy"]
                ctx.flash(f"Policy {created['PolicyName']} created.")
                return ctx.redirect(f"/policies/view?arn={created['Arn']}")
            except AwsError as error:
                errors = editor_errors(error, "PolicyName")
    return ctx.render("policy_edit.html", nav="policies", creating=True, errors=errors, problems=problems,
                      status=400 if errors else 200, **values)


def view_policy(ctx: Ctx, errors: dict | None = None, status: int = 200) -> Response:
    arn = ctx.request.query_params.get("arn", "")
    version_id = ctx.request.query_params.get("version")
    with ctx.api() as api:
        policy = api.run("GetPolicy", {"PolicyArn": arn})["Policy"]
        version = api.run("GetPolicyVersion", {"PolicyArn": arn,
                                               "VersionId": version_id or policy["DefaultVersionId"]})["PolicyVersion"]
        versions, versions_error = api.try_run("ListPolicyVersions", {"PolicyArn": arn})
        entities, entities_error = api.try_run("ListEntitiesForPolicy", {"PolicyArn": arn})
    return ctx.render("policy.html", nav="policies", policy=policy, version=version,
                      document=_pretty(version["Document"]), versions=(versions or {}).get("Versions", []),
                      versions_error=versions_error, entities=entities or {}, entities_error=entities_error,
                      kind=policy_kind(arn), form_errors=errors or {}, status=status)


def edit_policy(ctx: Ctx) -> Response:
    arn = ctx.request.query_params.get("arn", "")
    errors, problems = {}, []
    if ctx.request.method == "POST":
        document = ctx.raw_field("PolicyDocument")
        problems = problems_of(document, "managed")
        if problems:
            errors["PolicyDocument"] = [f"Ln {p['line']}, Col {p['column']}: {p['message']}" for p in problems]
        else:
            try:
                with ctx.api(write=True) as api:
                    api.run("CreatePolicyVersion", {"PolicyArn": arn, "PolicyDocument": document,
                                                    "SetAsDefault": True})
                ctx.flash("A new default version of the policy was saved.")
                return ctx.redirect(f"/policies/view?arn={arn}")
            except AwsError as error:
                errors = editor_errors(error)
    with ctx.api() as api:
        policy = api.run("GetPolicy", {"PolicyArn": arn})["Policy"]
        if ctx.request.method != "POST":
            version = api.run("GetPolicyVersion", {"PolicyArn": arn, "VersionId": policy["DefaultVersionId"]})
            document = _pretty(version["PolicyVersion"]["Document"])
    return ctx.render("policy_edit.html", nav="policies", creating=False, policy=policy, document=document,
                      name=policy["PolicyName"], errors=errors, problems=problems, status=400 if errors else 200)


def policy_action(ctx: Ctx) -> Response:
    arn = ctx.request.query_params.get("arn", "")
    action = ctx.field("action")
    try:
        with ctx.api(write=True) as api:
            if action == "set-default":
                api.run("SetDefaultPolicyVersion", {"PolicyArn": arn, "VersionId": ctx.field("VersionId")})
                ctx.flash(f"{ctx.field('VersionId')} is now the default version.")
            elif action == "delete-version":
                api.run("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": ctx.field("VersionId")})
                ctx.flash(f"Version {ctx.field('VersionId')} was deleted.")
            elif action == "delete":
                entities = api.run("ListEntitiesForPolicy", {"PolicyArn": arn})
                for user in entities.get("PolicyUsers", []):
                    api.run("DetachUserPolicy", {"UserName": user["UserName"], "PolicyArn": arn})
                for group in entities.get("PolicyGroups", []):
                    api.run("DetachGroupPolicy", {"GroupName": group["GroupName"], "PolicyArn": arn})
                for role in entities.get("PolicyRoles", []):
                    api.run("DetachRolePolicy", {"RoleName": role["RoleName"], "PolicyArn": arn})
                for version in api.run("ListPolicyVersions", {"PolicyArn": arn})["Versions"]:
                    if not version["IsDefaultVersion"]:
                        api.run("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": version["VersionId"]})
                api.run("DeletePolicy", {"PolicyArn": arn})
                ctx.flash("The policy was deleted.")
                return ctx.redirect("/policies?scope=Local")
    except AwsError as error:
        return view_policy(ctx, errors=field_errors(error, action), status=error.status)
    return ctx.redirect(f"/policies/view?arn={arn}")


def routes(console: Console) -> list[Route]:
    return [
        Route("/policies", page(console, policies_list), methods=["GET"]),
        Route("/policies/validate", page(console, validate), methods=["POST"]),
        Route("/policies/actions", page(console, known_actions), methods=["GET"]),
        Route("/policies/create", page(console, create_policy), methods=["GET", "POST"]),
        Route("/policies/view", page(console, view_policy), methods=["GET"]),
        Route("/policies/edit", page(console, edit_policy), methods=["GET", "POST"]),
        Route("/policies/action", page(console, policy_action), methods=["POST"]),
    ]
