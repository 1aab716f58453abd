"""User groups: list, create (with policies), a group's members and policies, delete."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.web.console.base import Console, Ctx, field_errors, page
from iamd.web.console.picker import policy_kind, search_policies


def groups_list(ctx: Ctx) -> Response:
    with ctx.api() as api:
        rows = []
        for group in api.all_pages("ListGroups", {"MaxItems": 1000}, "Groups"):
            detail, _ = api.try_run("GetGroup", {"GroupName": group["GroupName"]})
            attached, _ = api.try_run("ListAttachedGroupPolicies", {"GroupName": group["GroupName"]})
            rows.append({**group, "members": len(detail["Users"]) if detail else None,
                         "policies": [p["PolicyName"] for p in (attached or {}).get("AttachedPolicies", [])]})
    return ctx.render("groups.html", nav="groups", groups=rows)


def create_group(ctx: Ctx) -> Response:
    errors: dict = {}
    query = ctx.field("q") if ctx.form is not None else ""
    if ctx.request.method == "POST" and ctx.field("action") == "create":
        name = ctx.field("GroupName")
        try:
            with ctx.api(write=True) as api:
                api.run("CreateGroup", {"GroupName": name, "Path": ctx.field("Path") or None})
                for user in ctx.fields("UserName"):
                    api.run("AddUserToGroup", {"GroupName": name, "UserName": user})
                for arn in ctx.fields("PolicyArn"):
                    api.run("AttachGroupPolicy", {"GroupName": name, "PolicyArn": arn})
            ctx.flash(f"The group {name} was created.")
            return ctx.redirect(f"/groups/{name}")
        except AwsError as error:
            errors = field_errors(error, "GroupName")
    with ctx.api() as api:
        users, users_error = api.try_run("ListUsers", {"MaxItems": 1000})
        policies, total = search_policies(api, query)
    return ctx.render("group_create.html", nav="groups", errors=errors, query=query, policies=policies, total=total,
                      users=(users or {}).get("Users", []), users_error=users_error, policy_kind=policy_kind,
                      chosen_policies=ctx.fields("PolicyArn"), group_name=ctx.field("GroupName"),
                      status=400 if errors else 200)


def group_detail(ctx: Ctx, errors: dict | None = None, status: int = 200) -> Response:
    name = ctx.path_params["name"]
    with ctx.api() as api:
        group = api.run("GetGroup", {"GroupName": name, "MaxItems": 1000})
        attached, attached_error = api.try_run("ListAttachedGroupPolicies", {"GroupName": name})
        inline, inline_error = api.try_run("ListGroupPolicies", {"GroupName": name})
        users, _ = api.try_run("ListUsers", {"MaxItems": 1000})
    members = {u["UserName"] for u in group["Users"]}
    return ctx.render("group.html", nav="groups", group=group["Group"], members=group["Users"],
                      attached=(attached or {}).get("AttachedPolicies", []), attached_error=attached_error,
                      inline=(inline or {}).get("PolicyNames", []), inline_error=inline_error,
                      candidates=[u for u in (users or {}).get("Users", []) if u["UserName"] not in members],
                      form_errors=errors or {}, policy_kind=policy_kind, status=status)


def group_action(ctx: Ctx) -> Response:
    name = ctx.path_params["name"]
    action = ctx.field("action")
    try:
        with ctx.api(write=True) as api:
            if action == "add-users":
                for user in ctx.fields("UserName"):
                    api.run("AddUserToGroup", {"GroupName": name, "UserName": user})
            elif action == "remove-user":
                api.run("RemoveUserFromGroup", {"GroupName": name, "UserName": ctx.field("UserName")})
            elif action == "attach":
                api.run("AttachGroupPolicy", {"GroupName": name, "PolicyArn": ctx.field("PolicyArn")})
            elif action == "detach":
                api.run("DetachGroupPolicy", {"GroupName": name, "PolicyArn": ctx.field("PolicyArn")})
            elif action == "delete-inline":
                api.run("DeleteGroupPolicy", {"GroupName": name, "PolicyName": ctx.field("PolicyName")})
            elif action == "delete":
                for user in api.run("GetGroup", {"GroupName": name, "MaxItems": 1000})["Users"]:
                    api.run("RemoveUserFromGroup", {"GroupName": name, "UserName": user["UserName"]})
                for policy in api.run("ListAttachedGroupPolicies", {"GroupName": name})["AttachedPolicies"]:
                    api.run("DetachGroupPolicy", {"GroupName": name, "PolicyArn": policy["PolicyArn"]})
                for policy_name in api.run("ListGroupPolicies", {"GroupName": name})["PolicyNames"]:
                    api.run("DeleteGroupPolicy", {"GroupName": name, "PolicyName": policy_name})
                api.run("DeleteGroup", {"GroupName": name})
                ctx.flash(f"The group {name} was deleted.")
                return ctx.redirect("/groups")
    except AwsError as error:
        return group_detail(ctx, errors=field_errors(error, action), status=error.status)
    ctx.flash("The group was updated.")
    return ctx.redirect(f"/groups/{name}")


def routes(console: Console) -> list[Route]:
    return [
        Route("/groups", page(console, groups_list), methods=["GET"]),
        Route("/groups/create", page(console, create_group), methods=["GET", "POST"]),
        Route("/groups/{name}", page(console, group_detail), methods=["GET"]),
        Route("/groups/{name}/action", page(console, group_action), methods=["POST"]),
    ]
