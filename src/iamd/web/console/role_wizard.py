"""Create role, as AWS's console has it.

    1 trust        the trusted entity: an AWS service (a short list), an AWS account (this one or
                   another, with an optional external ID and MFA requirement), or a custom trust policy
                   in the JSON editor (checked as kind="trust")
    2 permissions  attach managed policies with the shared picker
    3 details      name, description, maximum session duration, tags; the review of the trust policy
                   and the permissions; then "Create role"

The state lives in the session. Creation runs CreateRole, AttachRolePolicy and TagRole in one
transaction as the signed-in principal: when any is refused, no role is created and the page shows
AWS's error beside the field it concerns (a MalformedPolicyDocument beside the trust policy).
"""

from __future__ import annotations

import json
import re

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.web.console.base import Console, Ctx, field_errors, page
from iamd.web.console.picker import policy_kind, search_policies
from iamd.web.console.policies import editor_errors, problems_of
from iamd.web.console.roles import DURATIONS, ROLE_FIELDS, session_duration

STEPS = ("trust", "permissions", "details")
STEP_TITLES = {"trust": "Select trusted entity", "permissions": "Add permissions",
               "details": "Name, review, and create"}
MAX_TAGS = 50
# Service principal → (what the console calls it, the description it proposes for the role).
SERVICES = {
    "ec2.amazonaws.com": ("EC2", "Allows EC2 instances to call AWS services on your behalf."),
    "lambda.amazonaws.com": ("Lambda", "Allows Lambda functions to call AWS services on your behalf."),
    "ecs-tasks.amazonaws.com": ("Elastic Container Service Task",
                                "Allows ECS tasks to call AWS services on your behalf."),
    "states.amazonaws.com": ("Step Functions", "Allows Step Functions to access AWS resources on your behalf."),
    "cloudformation.amazonaws.com": ("CloudFormation", "Allows CloudFormation to create and manage AWS stacks "
                                                       "and resources on your behalf."),
}
CUSTOM_TEMPLATE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Statement1", "Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}]}, indent=4)
ACCOUNT_ID = re.compile(r"^\d{12}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
FIELDS = {**ROLE_FIELDS, "tags": "Tags", "assumeRolePolicyDocument": "TrustPolicy", "policyArn": "permissions"}


def _state(ctx: Ctx) -> dict:
    return ctx.held.data.setdefault("role_wizard", {
        "entity": "service", "service": "ec2.amazonaws.com", "account": "this", "account_id": "",
        "require_external_id": False, "external_id": "", "require_mfa": False, "custom": CUSTOM_TEMPLATE,
        "policies": [], "name": "", "description": "", "max_session": 3600, "tags": []})


def trust_document(state: dict, own_account: str) -> str:
    """The trust policy the choices of step 1 make, as AWS's console writes it."""
    if state["entity"] == "custom":
        return state["custom"]
    if state["entity"] == "service":
        principal = {"Service": state["service"]}
    else:
        account = state["account_id"] if state["account"] == "other" else own_account
        principal = {"AWS": f"arn:aws:iam::{account}:root"}
    statement: dict = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    condition: dict = {}
    if state["entity"] == "account" and state["require_external_id"]:
        condition["StringEquals"] = {"sts:ExternalId": state["external_id"]}
    if state["entity"] == "account" and state["require_mfa"]:
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def _read_trust(ctx: Ctx, state: dict) -> dict:
    state["entity"] = ctx.field("entity") if ctx.field("entity") in ("service", "account", "custom") else "service"
    state["service"] = ctx.field("service") if ctx.field("service") in SERVICES else state["service"]
    state["account"] = "other" if ctx.field("account") == "other" else "this"
    state["account_id"] = ctx.field("account_id")
    state["require_external_id"] = ctx.field("require_external_id") == "on"
    state["external_id"] = ctx.field("external_id")
    state["require_mfa"] = ctx.field("require_mfa") == "on"
    if ctx.form is not None and "TrustPolicy" in ctx.form:
        state["custom"] = ctx.raw_field("TrustPolicy")
    errors: dict = {}
    if state["entity"] == "account" and state["account"] == "other" and not ACCOUNT_ID.match(state["account_id"]):
        errors["account_id"] = ["Enter a 12-digit AWS account ID."]
    if state["entity"] == "account" and state["require_external_id"] and not EXTERNAL_ID.match(state["external_id"]):
        errors["external_id"] = ["The external ID must have 2 to 1224 characters: letters, digits and +=,.@:/-_"]
    if state["entity"] == "custom":
        problems = problems_of(state["custom"], "trust")
        if problems:
            errors["problems"] = problems
    return errors


def _read_details(ctx: Ctx, state: dict) -> None:
    state["name"] = ctx.field("RoleName")
    state["description"] = ctx.field("Description")
    state["max_session"] = session_duration(ctx, 3600)
    # strict=False: a hand-made form with more keys than values loses the extras, as before, rather than a 500
    pairs = zip(ctx.fields("TagKey"), ctx.fields("TagValue"), strict=False)
    state["tags"] = [{"Key": k, "Value": v} for k, v in pairs if k]


def wizard(ctx: Ctx) -> Response:
    step = ctx.path_params.get("step", "trust")
    if step not in STEPS:
        return ctx.redirect("/roles/create/trust")
    if ctx.request.method == "GET" and step == "trust" and ctx.request.query_params.get("new"):
        ctx.held.data.pop("role_wizard", None)
    state = _state(ctx)
    errors: dict = {}
    if ctx.request.method == "POST":
        move = ctx.field("move")
        if step == "trust":
            errors = _read_trust(ctx, state) if move == "next" else {}
            proposed = {description for _, description in SERVICES.values()}
            if state["entity"] == "service" and (not state["description"] or state["description"] in proposed):
                state["description"] = SERVICES[state["service"]][1]
        elif step == "permissions":
            kept = [arn for arn in state["policies"] if arn not in ctx.fields("shown_policy")]
            state["policies"] = sorted(set(kept) | set(ctx.fields("PolicyArn")))
        elif step == "details":
            _read_details(ctx, state)
            if len(state["tags"]) > MAX_TAGS:
                errors["Tags"] = [f"You can add up to {MAX_TAGS} tags."]
            elif move == "create":
                return _create(ctx, state)
            elif move == "edit-trust":
                return ctx.redirect("/roles/create/trust")
        if not errors and move in ("next", "back"):
            index = STEPS.index(step) + (1 if move == "next" else -1)
            return ctx.redirect(f"/roles/create/{STEPS[max(0, index)]}")
    return _render(ctx, step, state, errors)


def _render(ctx: Ctx, step: str, state: dict, errors: dict, status: int | None = None) -> Response:
    values: dict = {}
    if step == "permissions":
        query = ctx.field("q") if ctx.form is not None else ""
        with ctx.api() as api:
            values["policies"], values["total"] = search_policies(api, query)
        values["query"] = query
    return ctx.render("role_create.html", nav="roles", step=step, steps=STEPS, titles=STEP_TITLES, state=state,
                      errors=errors, services=SERVICES, durations=DURATIONS, policy_kind=policy_kind,
                      chosen_policies=state["policies"], problems=errors.get("problems", []),
                      trust=trust_document(state, ctx.held.account_id), status=status or (400 if errors else 200),
                      **values)


def _create(ctx: Ctx, state: dict) -> Response:
    name = state["name"]
    try:
        with ctx.api(write=True) as api:
            api.run("CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": trust_document(
                state, ctx.held.account_id), "Description": state["description"] or None,
                "MaxSessionDuration": state["max_session"]})
            for arn in state["policies"]:
                api.run("AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
            if state["tags"]:
                api.run("TagRole", {"RoleName": name, "Tags": state["tags"]})
    except AwsError as error:
        errors = editor_errors(error, "RoleName", editor="TrustPolicy")
        if "TrustPolicy" not in errors:
            errors = field_errors(error, "RoleName", FIELDS)
        return _render(ctx, "details", state, errors, status=error.status)
    ctx.held.data.pop("role_wizard", None)
    ctx.flash(f"Role {name} created.")
    return ctx.redirect(f"/roles/{name}")


def routes(console: Console) -> list[Route]:
    return [
        Route("/roles/create", page(console, lambda ctx: ctx.redirect("/roles/create/trust?new=1")), methods=["GET"]),
        Route("/roles/create/{step}", page(console, wizard), methods=["GET", "POST"]),
    ]
