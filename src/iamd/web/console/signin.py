"""Sign-in, the MFA step, the forced password change, sign-out.

    /console/signin                     which account? (account ID or alias)
    /console/signin/<alias-or-id>       root user (email-less: the root password) or IAM user + password
    /console/signin/continue            the MFA code, then a new password when one is required
    /console/signout                    ends the session

A failed sign-in says only AWS's "Your authentication information is incorrect", whatever was wrong.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from iamd.audit.signin import console_login
from iamd.errors import AccessDenied, AwsError, PasswordPolicyViolation
from iamd.service.account import password_policy
from iamd.service.dispatch import signed_in_principal
from iamd.web.console import auth
from iamd.web.console.base import Console, Ctx, available, clear_session_cookie, page

INCORRECT = "Your authentication information is incorrect. Please try again."
HARD_EXPIRED = "Your password has expired. Contact your administrator to have it reset."


def _ensure_session(ctx: Ctx):
    if ctx.session is None:
        ctx.session = ctx.console.sessions.create()
        ctx.set_cookie = ctx.session
    return ctx.session


def choose_account(ctx: Ctx) -> Response:
    _ensure_session(ctx)
    if ctx.request.method == "POST":
        wanted = ctx.field("account").lower()
        if wanted:
            return RedirectResponse("/console/signin/" + quote(wanted, safe=""), status_code=303)
        return ctx.render("signin_account.html", errors={"account": ["Enter an account ID or alias."]})
    if ctx.held.signed_in:
        return ctx.redirect("/home")
    return ctx.render("signin_account.html", errors={})


def signin_form(ctx: Ctx) -> Response:
    session = _ensure_session(ctx)
    if session.signed_in and ctx.request.method == "GET":
        return ctx.redirect("/home")
    target = ctx.path_params["account"]
    values = {"account": target, "kind": ctx.field("kind", "iam"), "username": ctx.field("username"),
              "errors": {}}
    if ctx.request.method == "GET":
        return ctx.render("signin.html", **values)

    root = values["kind"] == "root"
    password = ctx.raw_field("password")
    if not root and not values["username"]:
        values["errors"]["username"] = ["Enter your IAM user name."]
    if not password:
        values["errors"]["password"] = ["Enter your password."]
    if values["errors"]:
        return ctx.render("signin.html", status=400, **values)

    with ctx.console.store.transaction(write=False) as tx:
        account = auth.find_account(tx, target)
    # Counted per account id (whether reached by id or alias) and user name; what was typed, when
    # there is no such account. The attempt is counted before the password is checked, so that
    # parallel guesses are throttled like sequential ones.
    key = (account.id if account else target.lower(), "<root>" if root else values["username"].lower())
    wait = ctx.console.throttle.reserve(key)
    if wait:
        minutes = (wait + 59) // 60
        message = (f"Too many failed sign-in attempts. Try again in {wait} seconds." if wait < 60 else
                   f"Sign-in is locked after too many failed attempts. Try again in {minutes} minutes.")
        return ctx.render("signin.html", status=429, form_error=message, **values)
    with ctx.console.store.transaction(write=True) as tx:
        account = auth.find_account(tx, target)
        if root:
            ok = auth.check_root_password(account, password)
            user_id, user_name = None, "root"
        else:
            user_id, user_name = auth.find_user_id(tx, account.id, values["username"]) if account else (None, "")
            ok = auth.check_user_password(tx, user_id if account else None, password)
            if ok and user_id is not None:
                auth.record_password_use(tx, user_id, datetime.now(UTC).replace(microsecond=0))
        if not ok or account is None:  # already counted by reserve() (no account: never ok)
            if account is not None:
                _record_login(ctx, tx, account.id, None if not root and user_id is None else user_id, root,
                              success=False, mfa_used=False)
            return ctx.render("signin.html", status=401, form_error=INCORRECT, **values)
        ctx.console.throttle.succeeded(key, tx)
        session = ctx.console.sessions.renew(session, tx)
        ctx.set_cookie = session
        session.account_id, session.user_id, session.user_name = account.id, user_id, user_name
        session.data = {"alias": account.alias} if account.alias else {}
        session.mfa_serial = auth.mfa_serial_for(tx, user_id, account.id)
        session.mfa_at = None
        session.stage = "mfa" if session.mfa_serial else "password"
        if session.stage == "password" and not _needs_new_password(ctx, tx):
            session.stage = "ready"
        if session.stage != "mfa":  # with MFA, the sign-in succeeds or fails at the code
            _record_login(ctx, tx, account.id, user_id, root, success=True, mfa_used=False)
    return _next_step(ctx)


def _record_login(ctx: Ctx, tx, account_id: str, user_id: str | None, root: bool, success: bool,
                  mfa_used: bool) -> None:
    """The ConsoleLogin event, in the sign-in's transaction; a user name that matched no user: hidden."""
    audit = ctx.console.env.audit
    if audit is None or not audit.enabled:
        return
    principal = None
    if root or user_id is not None:
        try:
            principal = signed_in_principal(tx, account_id, None if root else user_id)[0]
        except AwsError:
            principal = None
    request = ctx.request
    audit.write(tx, console_login(account_id, principal, success, mfa_used,
                                  request.client.host if request.client else "",
                                  request.headers.get("user-agent", ""), ctx.base_url() + "/console/home"))


def _needs_new_password(ctx: Ctx, tx) -> bool:
    session = ctx.held
    if session.user_id is None:
        return False
    call = ctx.call(tx)
    session.reset_reason = auth.password_change_reason(tx, call, session.user_name)
    return bool(session.reset_reason)


def _next_step(ctx: Ctx) -> Response:
    session = ctx.held
    if session.stage == "ready":
        return ctx.redirect("/home")
    return ctx.redirect("/signin/continue")


def continue_signin(ctx: Ctx) -> Response:
    session = ctx.session
    if session is None or session.stage == "anonymous":
        return ctx.redirect("/signin")
    if session.stage == "ready":
        return ctx.redirect("/home")
    if session.stage == "mfa":
        return _mfa_step(ctx)
    return _password_step(ctx)


def _mfa_step(ctx: Ctx) -> Response:
    session = ctx.held
    if ctx.request.method == "GET":
        return ctx.render("signin_mfa.html", errors={})
    code = ctx.field("code")
    key = (session.account_id, "mfa:" + (session.user_id or "<root>"))
    wait = ctx.console.throttle.reserve(key)
    if wait:
        return ctx.render("signin_mfa.html", status=429, errors={
            "code": [f"Too many failed attempts. Try again in {wait} seconds."]})
    with ctx.console.store.transaction(write=True) as tx:
        ok = code.isdigit() and len(code) == 6 and auth.verify_mfa(tx, ctx.call(tx), session.mfa_serial, code)
        _record_login(ctx, tx, session.account_id, session.user_id, session.user_id is None, success=ok,
                      mfa_used=True)
        if not ok:  # already counted by reserve()
            return ctx.render("signin_mfa.html", status=401, errors={
                "code": ["Your authentication information is incorrect. Please try again."]})
        ctx.console.throttle.succeeded(key, tx)
        session.mfa_at = time.time()
        session.stage = "password" if _needs_new_password(ctx, tx) else "ready"
    return _next_step(ctx)


def _password_step(ctx: Ctx) -> Response:
    session = ctx.held
    with ctx.console.store.transaction(write=False) as tx:
        help_texts = password_policy.help_texts(auth.password_policy(tx, session.account_id))
    values: dict[str, Any] = {"help_texts": help_texts, "reason": session.reset_reason, "errors": {},
              "hard": session.reset_reason == "hard", "hard_message": HARD_EXPIRED}
    if ctx.request.method == "GET" or values["hard"]:
        return ctx.render("signin_password.html", **values)
    result = change_own_password(ctx, values)
    if result is not None:
        return result
    session.stage = "ready"
    session.reset_reason = ""
    ctx.flash("Your password has been changed.")
    return ctx.redirect("/home")


def change_own_password(ctx: Ctx, values: dict) -> Response | None:
    """Run ChangePassword from the form (old, new, confirm); a page with the errors, or None when done."""
    old, new, confirm = ctx.raw_field("old_password"), ctx.raw_field("new_password"), ctx.raw_field("confirm")
    errors = values["errors"]
    if not old:
        errors["old_password"] = ["Enter your current password."]
    if not new:
        errors["new_password"] = ["Enter a new password."]
    elif new != confirm:
        errors["confirm"] = ["The passwords do not match."]
    if not available("ChangePassword"):
        errors["new_password"] = ["iamd does not implement the IAM operation ChangePassword yet."]
    template = values.get("template", "signin_password.html")
    if errors:
        return ctx.render(template, status=400, **values)
    try:
        with ctx.api(write=True) as api:
            api.run("ChangePassword", {"OldPassword": old, "NewPassword": new})
    except PasswordPolicyViolation as error:
        errors["new_password"] = (error.message or "").split(password_policy.MESSAGE_SEPARATOR)
    except AccessDenied as error:
        field = "old_password" if "old password" in (error.message or "") else "form"
        errors[field] = [error.message]
    except AwsError as error:
        errors["new_password" if "assword" in (error.message or "") else "form"] = [error.message]
    if errors:
        return ctx.render(template, status=400, **values)
    return None


def signout(ctx: Ctx) -> Response:
    target = "/console/signin"
    if ctx.session is not None:
        if ctx.session.account_id:
            target += "/" + quote(ctx.session.data.get("alias") or ctx.session.account_id, safe="")
        ctx.console.sessions.end(ctx.session)
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response)
    return response


def home_redirect(ctx: Ctx) -> Response:
    if ctx.session is not None and ctx.session.signed_in:
        return ctx.redirect("/home")
    return ctx.redirect("/signin")


def routes(console: Console) -> list[Route]:
    open_page = dict(signed_in=False)
    return [
        Route("/", page(console, home_redirect, **open_page), methods=["GET"]),
        Route("/signin", page(console, choose_account, **open_page), methods=["GET", "POST"]),
        Route("/signin/continue", page(console, continue_signin, **open_page), methods=["GET", "POST"]),
        Route("/signin/{account}", page(console, signin_form, **open_page), methods=["GET", "POST"]),
        Route("/signout", page(console, signout, **open_page), methods=["POST"]),
    ]


__all__ = ["routes", "change_own_password", "signed_in_principal"]
