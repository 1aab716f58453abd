"""The dashboard, account settings (password policy, alias) and the credential report."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError, NoSuchEntity
from iamd.service.account import password_policy
from iamd.web.console.base import Console, Ctx, available, field_errors, page

POLICY_FIELDS = ("MinimumPasswordLength", "RequireUppercaseCharacters", "RequireLowercaseCharacters",
                 "RequireNumbers", "RequireSymbols", "AllowUsersToChangePassword", "MaxPasswordAge",
                 "PasswordReusePrevention", "HardExpiry")
_BOOLEANS = {"RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers", "RequireSymbols",
             "AllowUsersToChangePassword", "HardExpiry"}


def dashboard(ctx: Ctx) -> Response:
    with ctx.api() as api:
        summary, summary_error = api.try_run("GetAccountSummary")
        aliases, alias_error = api.try_run("ListAccountAliases")
        policy, policy_error = api.try_run("GetAccountPasswordPolicy")
    alias = (aliases or {}).get("AccountAliases", [None])[0] if aliases and aliases.get("AccountAliases") else None
    if aliases is not None:
        if alias:
            ctx.held.data["alias"] = alias
        else:
            ctx.held.data.pop("alias", None)
    counts = (summary or {}).get("SummaryMap", {})
    advice = []
    if summary is not None:
        if not counts.get("AccountMFAEnabled"):
            advice.append(("warn", "Add MFA for the root user", "The root user has no MFA device. Assign one to "
                           "protect the account's most powerful identity."))
        else:
            advice.append(("ok", "Root user has MFA", "Multi-factor authentication protects the root user."))
        if counts.get("AccountAccessKeysPresent"):
            advice.append(("warn", "Root user has active access keys", "Use IAM users or roles instead, and "
                           "delete the root user's access keys."))
        else:
            advice.append(("ok", "Root user has no active access keys", "Programmatic access goes through IAM "
                           "identities."))
    if isinstance(policy_error, NoSuchEntity):
        advice.append(("warn", "No password policy", "The account uses AWS's default password rules. Set a "
                       "password policy in Account settings."))
        policy_error = None
    return ctx.render("dashboard.html", nav="home", counts=counts, summary_error=summary_error, alias=alias,
                      alias_error=alias_error, advice=advice, policy_error=policy_error,
                      signin_link=ctx.signin_url(alias or ctx.held.account_id))


def _policy_params(ctx: Ctx) -> tuple[dict, dict]:
    params: dict[str, int | bool] = {}
    errors: dict[str, list[str]] = {}
    for name in POLICY_FIELDS:
        if name in _BOOLEANS:
            params[name] = ctx.field(name) == "on"
            continue
        raw = ctx.field(name)
        if raw == "":
            continue
        try:
            params[name] = int(raw)
        except ValueError:
            errors[name] = ["Enter a whole number."]
    if not params.get("MaxPasswordAge"):
        params.pop("HardExpiry", None)
    return params, errors


def account_settings(ctx: Ctx) -> Response:
    errors: dict = {}
    posted: dict = {}
    if ctx.request.method == "POST":
        action = ctx.field("action")
        try:
            with ctx.api(write=True) as api:
                if action == "policy":
                    posted, errors = _policy_params(ctx)
                    if not errors:
                        api.run("UpdateAccountPasswordPolicy", posted)
                        ctx.flash("The password policy was updated.")
                elif action == "delete-policy":
                    api.run("DeleteAccountPasswordPolicy")
                    ctx.flash("The password policy was deleted. AWS's default rules apply.")
                elif action == "alias":
                    alias = ctx.field("AccountAlias")
                    current = api.run("ListAccountAliases").get("AccountAliases", [])
                    for old in current:
                        if old != alias:
                            api.run("DeleteAccountAlias", {"AccountAlias": old})
                    api.run("CreateAccountAlias", {"AccountAlias": alias})
                    ctx.held.data["alias"] = alias
                    ctx.flash(f"The account alias is now {alias}.")
                elif action == "delete-alias":
                    api.run("DeleteAccountAlias", {"AccountAlias": ctx.field("AccountAlias")})
                    ctx.held.data.pop("alias", None)
                    ctx.flash("The account alias was deleted.")
        except AwsError as error:
            default = "AccountAlias" if "alias" in action else "policy_form"
            errors = field_errors(error, default)
        if not errors:
            return ctx.redirect("/account-settings")
    with ctx.api() as api:
        policy, policy_error = api.try_run("GetAccountPasswordPolicy")
        aliases, alias_error = api.try_run("ListAccountAliases")
    current = (policy or {}).get("PasswordPolicy")
    if isinstance(policy_error, NoSuchEntity):
        policy_error = None
    shown = dict(current or {})
    if posted:
        shown = posted
    rules = password_policy.PasswordPolicy.from_params(current) if current else None
    return ctx.render("account_settings.html", nav="settings", policy=shown, has_policy=current is not None,
                      policy_error=policy_error, aliases=(aliases or {}).get("AccountAliases", []),
                      alias_error=alias_error, errors=errors, help_texts=password_policy.help_texts(rules),
                      status=400 if errors else 200)


def credential_report(ctx: Ctx) -> Response:
    ready = available("GenerateCredentialReport") and available("GetCredentialReport")
    error = None
    if ctx.request.method == "POST" and ready:
        try:
            with ctx.api(write=True) as api:
                state = api.run("GenerateCredentialReport")
            ctx.flash(f"Credential report: {state.get('State', 'STARTED')}. {state.get('Description', '')}".strip())
            return ctx.redirect("/credential-report")
        except AwsError as caught:
            error = caught
    return ctx.render("credential_report.html", nav="report", ready=ready, error=error)


def credential_report_download(ctx: Ctx) -> Response:
    with ctx.api() as api:
        report = api.run("GetCredentialReport")
    content = report.get("Content", b"")
    if isinstance(content, str):
        content = content.encode()
    stamp = report.get("GeneratedTime")
    name = f"status_reports_{stamp:%Y-%m-%dT%H_%M_%S}.csv" if stamp else "credential_report.csv"
    return Response(content, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def routes(console: Console) -> list[Route]:
    return [
        Route("/home", page(console, dashboard), methods=["GET"]),
        Route("/account-settings", page(console, account_settings), methods=["GET", "POST"]),
        Route("/credential-report", page(console, credential_report), methods=["GET", "POST"]),
        Route("/credential-report/download", page(console, credential_report_download), methods=["GET"]),
    ]
