"""Users: the list (search, path), a user's page (permissions, groups, tags, security credentials) and its actions."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError, NoSuchEntity
from iamd.web.console.base import Api, Console, Ctx, available, field_errors, page
from iamd.web.console.events import access_advisor
from iamd.web.console.picker import policy_kind, search_policies


def users_list(ctx: Ctx) -> Response:
    query = ctx.request.query_params.get("q", "").strip()
    path = ctx.request.query_params.get("path", "").strip()
    with ctx.api() as api:
        found = api.all_pages("ListUsers", {"PathPrefix": path or None, "MaxItems": 1000}, "Users")
        rows = []
        for user in found:
            if query and query.lower() not in user["UserName"].lower():
                continue
            groups, _ = api.try_run("ListGroupsForUser", {"UserName": user["UserName"]})
            keys, _ = api.try_run("ListAccessKeys", {"UserName": user["UserName"]})
            rows.append({**user, "groups": [g["GroupName"] for g in (groups or {}).get("Groups", [])],
                         "groups_known": groups is not None,
                         "keys": len((keys or {}).get("AccessKeyMetadata", [])) if keys is not None else None})
    return ctx.render("users.html", nav="users", users=rows, query=query, path=path)


def load_user(api: Api, name: str) -> dict:
    """Everything the user's page shows; each section refused (or not served) on its own."""
    user = api.run("GetUser", {"UserName": name})["User"]
    view: dict = {"user": user, "errors": {}}

    def section(key: str, operation: str, params: dict, pick):
        result, error = api.try_run(operation, params)
        if error is not None and not isinstance(error, NoSuchEntity):
            view["errors"][key] = error
        view[key] = pick(result) if result is not None else None

    section("groups", "ListGroupsForUser", {"UserName": name}, lambda r: r["Groups"])
    section("attached", "ListAttachedUserPolicies", {"UserName": name}, lambda r: r["AttachedPolicies"])
    section("inline", "ListUserPolicies", {"UserName": name}, lambda r: r["PolicyNames"])
    section("tags", "ListUserTags", {"UserName": name}, lambda r: r["Tags"])
    section("login_profile", "GetLoginProfile", {"UserName": name}, lambda r: r["LoginProfile"])
    if available("ListMFADevices"):
        section("mfa", "ListMFADevices", {"UserName": name}, lambda r: r["MFADevices"])
    section("keys", "ListAccessKeys", {"UserName": name}, lambda r: r["AccessKeyMetadata"])
    for key in view["keys"] or []:
        used, _ = api.try_run("GetAccessKeyLastUsed", {"AccessKeyId": key["AccessKeyId"]})
        key["LastUsed"] = (used or {}).get("AccessKeyLastUsed", {})
    view["advisor"], view["advisor_error"] = access_advisor(api, user["Arn"])
    return view


def user_detail(ctx: Ctx, errors: dict | None = None, status: int = 200, new_key: dict | None = None) -> Response:
    name = ctx.path_params["name"]
    with ctx.api(write=True) as api:  # GetAccessKeyLastUsed records pending use first
        view = load_user(api, name)
    return ctx.render("user.html", nav="users", status=status, form_errors=errors or {}, new_key=new_key,
                      policy_kind=policy_kind, **view)


def _tags_from(ctx: Ctx) -> list[dict]:
    # strict=False: a hand-made form with more keys than values loses the extras, as before, rather than a 500
    pairs = zip(ctx.fields("TagKey"), ctx.fields("TagValue"), strict=False)
    return [{"Key": key, "Value": value} for key, value in pairs if key]


# action → (operation, params from the form, field for its errors, message on success)
def user_action(ctx: Ctx) -> Response:
    name = ctx.path_params["name"]
    action = ctx.field("action")
    new_key = None
    try:
        with ctx.api(write=True) as api:
            if action == "remove-group":
                api.run("RemoveUserFromGroup", {"UserName": name, "GroupName": ctx.field("GroupName")})
                ctx.flash(f"{name} was removed from {ctx.field('GroupName')}.")
            elif action == "detach-policy":
                api.run("DetachUserPolicy", {"UserName": name, "PolicyArn": ctx.field("PolicyArn")})
                ctx.flash("The policy was detached.")
            elif action == "delete-inline":
                api.run("DeleteUserPolicy", {"UserName": name, "PolicyName": ctx.field("PolicyName")})
                ctx.flash(f"The inline policy {ctx.field('PolicyName')} was deleted.")
            elif action == "set-boundary":
                api.run("PutUserPermissionsBoundary", {"UserName": name,
                                                       "PermissionsBoundary": ctx.field("PermissionsBoundary")})
                ctx.flash("The permissions boundary was set.")
            elif action == "delete-boundary":
                api.run("DeleteUserPermissionsBoundary", {"UserName": name})
                ctx.flash("The permissions boundary was removed.")
            elif action == "enable-console":
                api.run("CreateLoginProfile", {"UserName": name, "Password": ctx.raw_field("Password"),
                                               "PasswordResetRequired": ctx.field("PasswordResetRequired") == "on"})
                ctx.flash("Console access was enabled.")
            elif action == "reset-password":
                api.run("UpdateLoginProfile", {"UserName": name, "Password": ctx.raw_field("Password"),
                                               "PasswordResetRequired": ctx.field("PasswordResetRequired") == "on"})
                ctx.flash("The console password was changed.")
            elif action == "disable-console":
                api.run("DeleteLoginProfile", {"UserName": name})
                ctx.flash("Console access was disabled.")
            elif action == "create-key":
                new_key = api.run("CreateAccessKey", {"UserName": name})["AccessKey"]
            elif action == "key-status":
                api.run("UpdateAccessKey", {"UserName": name, "AccessKeyId": ctx.field("AccessKeyId"),
                                            "Status": ctx.field("Status")})
                ctx.flash(f"The access key is now {ctx.field('Status').lower()}.")
            elif action == "delete-key":
                api.run("DeleteAccessKey", {"UserName": name, "AccessKeyId": ctx.field("AccessKeyId")})
                ctx.flash("The access key was deleted.")
            elif action == "add-tags":
                api.run("TagUser", {"UserName": name, "Tags": _tags_from(ctx)})
                ctx.flash("The tags were saved.")
            elif action == "remove-tag":
                api.run("UntagUser", {"UserName": name, "TagKeys": [ctx.field("Key")]})
                ctx.flash("The tag was removed.")
            elif action == "deactivate-mfa":
                api.run("DeactivateMFADevice", {"UserName": name, "SerialNumber": ctx.field("SerialNumber")})
                ctx.flash("The MFA device was removed.")
    except AwsError as error:
        return user_detail(ctx, errors=field_errors(error, action), status=error.status)
    if new_key is not None:
        return user_detail(ctx, new_key=new_key)
    return ctx.redirect(f"/users/{name}")


def add_permissions(ctx: Ctx) -> Response:
    """Add user to groups, or attach policies directly (the user page's "Add permissions")."""
    name = ctx.path_params["name"]
    query = (ctx.field("q") if ctx.form is not None else ctx.request.query_params.get("q", ""))
    errors: dict = {}
    if ctx.request.method == "POST" and ctx.field("action") == "add":
        try:
            with ctx.api(write=True) as api:
                for group in ctx.fields("GroupName"):
                    api.run("AddUserToGroup", {"UserName": name, "GroupName": group})
                for arn in ctx.fields("PolicyArn"):
                    api.run("AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
            ctx.flash("The permissions were added.")
            return ctx.redirect(f"/users/{name}")
        except AwsError as error:
            errors = field_errors(error, "form")
    with ctx.api() as api:
        api.run("GetUser", {"UserName": name})
        groups, groups_error = api.try_run("ListGroups", {"MaxItems": 1000})
        policies, total = search_policies(api, query)
    return ctx.render("user_add_permissions.html", nav="users", name=name, query=query,
                      groups=(groups or {}).get("Groups", []), groups_error=groups_error, policies=policies,
                      total=total, errors=errors, policy_kind=policy_kind, status=400 if errors else 200)


def delete_user(ctx: Ctx) -> Response:
    """Delete a user as the console does: its password, keys, MFA, groups and policies first."""
    name = ctx.path_params["name"]
    try:
        with ctx.api(write=True) as api:
            params = {"UserName": name}
            if api.try_run("GetLoginProfile", params)[0] is not None:
                api.run("DeleteLoginProfile", params)
            for key in api.run("ListAccessKeys", params)["AccessKeyMetadata"]:
                api.run("DeleteAccessKey", {**params, "AccessKeyId": key["AccessKeyId"]})
            if available("ListMFADevices"):
                for device in api.run("ListMFADevices", params)["MFADevices"]:
                    api.run("DeactivateMFADevice", {**params, "SerialNumber": device["SerialNumber"]})
            for group in api.run("ListGroupsForUser", params)["Groups"]:
                api.run("RemoveUserFromGroup", {**params, "GroupName": group["GroupName"]})
            for policy in api.run("ListAttachedUserPolicies", params)["AttachedPolicies"]:
                api.run("DetachUserPolicy", {**params, "PolicyArn": policy["PolicyArn"]})
            for policy_name in api.run("ListUserPolicies", params)["PolicyNames"]:
                api.run("DeleteUserPolicy", {**params, "PolicyName": policy_name})
            api.run("DeleteUser", params)
    except AwsError as error:
        return user_detail(ctx, errors={"delete": [error.message]}, status=error.status)
    ctx.flash(f"The user {name} was deleted.")
    return ctx.redirect("/users")


def routes(console: Console) -> list[Route]:
    return [
        Route("/users", page(console, users_list), methods=["GET"]),
        Route("/users/{name}", page(console, user_detail), methods=["GET"]),
        Route("/users/{name}/action", page(console, user_action), methods=["POST"]),
        Route("/users/{name}/add-permissions", page(console, add_permissions), methods=["GET", "POST"]),
        Route("/users/{name}/delete", page(console, delete_user), methods=["POST"]),
    ]
