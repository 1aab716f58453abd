"""Assign MFA device (a virtual device: QR code, secret, two consecutive codes) and "My security credentials".

The device is created (CreateVirtualMFADevice) when the QR code is shown, as AWS's console does; its seed
stays in the session until two codes enable it (EnableMFADevice), so a mistyped code can be retried
without a new QR code. A device abandoned before it is enabled stays unassigned, as in AWS.
"""

from __future__ import annotations

import base64

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.service.account import password_policy
from iamd.web.console import auth
from iamd.web.console.base import Console, Ctx, available, field_errors, page
from iamd.web.console.signin import change_own_password


def _pending(ctx: Ctx) -> dict:
    return ctx.held.data.setdefault("pending_mfa", {})


def assign_mfa(ctx: Ctx) -> Response:
    name = ctx.path_params["name"]
    pending = _pending(ctx).get(name)
    errors: dict = {}
    if ctx.request.method == "POST":
        action = ctx.field("action")
        try:
            if action == "create":
                device_name = ctx.field("VirtualMFADeviceName") or name
                with ctx.api(write=True) as api:
                    device = api.run("CreateVirtualMFADevice", {"VirtualMFADeviceName": device_name})
                device = device["VirtualMFADevice"]
                seed = device["Base32StringSeed"]
                pending = {"serial": device["SerialNumber"],
                           "seed": seed.decode() if isinstance(seed, bytes) else seed,
                           "qr": base64.b64encode(device["QRCodePNG"]).decode("ascii")}
                _pending(ctx)[name] = pending
            elif action == "enable" and pending:
                with ctx.api(write=True) as api:
                    api.run("EnableMFADevice", {"UserName": name, "SerialNumber": pending["serial"],
                                                "AuthenticationCode1": ctx.field("AuthenticationCode1"),
                                                "AuthenticationCode2": ctx.field("AuthenticationCode2")})
                _pending(ctx).pop(name, None)
                ctx.flash("MFA device assigned. You can register up to 8 MFA devices per user.")
                back = ctx.field("back") or f"/users/{name}#credentials"
                return ctx.redirect(back if back.startswith("/") else f"/users/{name}")
            elif action == "cancel":
                _pending(ctx).pop(name, None)
                return ctx.redirect(f"/users/{name}#credentials")
        except AwsError as error:
            default = "VirtualMFADeviceName" if action == "create" else "AuthenticationCode1"
            errors = field_errors(error, default)
    return ctx.render("mfa_assign.html", nav="users", name=name, pending=pending, errors=errors,
                      back=ctx.field("back") or ctx.request.query_params.get("back", ""),
                      status=400 if errors else 200)


def security_credentials(ctx: Ctx) -> Response:
    session = ctx.held
    values: dict = {"errors": {}, "template": "security_credentials.html"}
    if not session.is_root and ctx.request.method == "POST":
        result = change_own_password(ctx, values)
        if result is not None:
            return _credentials_page(ctx, values, result.status_code)
        ctx.flash("Your password has been changed.")
        return ctx.redirect("/security-credentials")
    return _credentials_page(ctx, values)


def _credentials_page(ctx: Ctx, values: dict, status: int = 200) -> Response:
    session = ctx.held
    with ctx.api() as api:
        values["help_texts"] = password_policy.help_texts(auth.password_policy(api.tx, session.account_id))
        if not session.is_root:
            params = {"UserName": session.user_name}
            if available("ListMFADevices"):
                result, values["mfa_error"] = api.try_run("ListMFADevices", params)
                values["mfa"] = (result or {}).get("MFADevices", [])
            result, values["keys_error"] = api.try_run("ListAccessKeys", params)
            values["keys"] = (result or {}).get("AccessKeyMetadata", [])
    values.pop("template")
    return ctx.render("security_credentials.html", status=status, **values)


def routes(console: Console) -> list[Route]:
    return [
        Route("/users/{name}/mfa/assign", page(console, assign_mfa), methods=["GET", "POST"]),
        Route("/security-credentials", page(console, security_credentials), methods=["GET", "POST"]),
    ]
