"""Inline policies of a user, a group or a role: "Create inline policy" and "Edit", as AWS's console has them.

One page serves the three kinds of holder: the JSON editor (``iamd.policy.check_policy``'s problems at
their line, also as one types), then Put{User,Group,Role}Policy as the signed-in principal; AWS's
MalformedPolicyDocument and LimitExceeded messages go beside the editor. Deleting an inline policy is an
action of the holder's own page (users.py, groups.py, roles.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.web.console.base import Console, Ctx, page
from iamd.web.console.policies import TEMPLATE, _pretty, editor_errors, problems_of


@dataclass(frozen=True)
class Holder:
    area: str  # the URL's first segment: "users"
    title: str  # "Users", as the breadcrumb shows it
    noun: str  # "User": the operations' middle word
    back: str  # where the holder's page shows its permissions

    @property
    def param(self) -> str:
        return f"{self.noun}Name"

    def page_of(self, name: str) -> str:
        return f"/{self.area}/{name}{self.back}"


HOLDERS = {
    "users": Holder("users", "Users", "User", "#permissions"),
    "groups": Holder("groups", "User groups", "Group", ""),
    "roles": Holder("roles", "Roles", "Role", "#permissions"),
}


def _duplicate(name: str) -> str:
    return f"A policy called {name} already exists. Duplicate names are not allowed."


def inline_policy(ctx: Ctx, holder: Holder) -> Response:
    entity = ctx.path_params["name"]
    editing = ctx.request.query_params.get("policy", "")
    errors: dict = {}
    problems: list = []
    policy_name = editing or ctx.field("PolicyName")
    if ctx.request.method == "POST":
        document = ctx.raw_field("PolicyDocument")
        problems = problems_of(document)
        if problems:
            errors["PolicyDocument"] = [f"Ln {p['line']}, Col {p['column']}: {p['message']}" for p in problems]
        else:
            try:
                with ctx.api(write=True) as api:
                    held = api.run(f"List{holder.noun}Policies", {holder.param: entity})["PolicyNames"]
                    if not editing and policy_name in held:
                        errors["PolicyName"] = [_duplicate(policy_name)]
                    else:
                        api.run(f"Put{holder.noun}Policy", {holder.param: entity, "PolicyName": policy_name,
                                                            "PolicyDocument": document})
                if not errors:
                    ctx.flash(f"Policy {policy_name} {'saved' if editing else 'created'}.")
                    return ctx.redirect(holder.page_of(entity))
            except AwsError as error:
                errors = editor_errors(error, "PolicyName")
    with ctx.api() as api:
        api.run(f"Get{holder.noun}", {holder.param: entity})
        if ctx.request.method != "POST":
            document = TEMPLATE
            if editing:
                found = api.run(f"Get{holder.noun}Policy", {holder.param: entity, "PolicyName": editing})
                document = _pretty(found["PolicyDocument"])
    nav = "users" if holder.area == "users" else holder.area
    return ctx.render("inline_policy.html", nav=nav, holder=holder, entity=entity, editing=editing,
                      policy_name=policy_name, document=document, problems=problems, errors=errors,
                      status=400 if errors else 200)


def routes(console: Console) -> list[Route]:
    out = []
    for holder in HOLDERS.values():
        handler = (lambda h: lambda ctx: inline_policy(ctx, h))(holder)
        out.append(Route(f"/{holder.area}/{{name}}/inline-policy", page(console, handler), methods=["GET", "POST"]))
    return out
