"""Console sign-in through a SAML identity provider, as at https://signin.aws.amazon.com/saml.

    POST /saml, /console/saml     the IdP posts SAMLResponse (HTTP POST binding): one role, signed in;
                                  several, the role choice page
    POST /console/saml/role       the role chosen

IAM User Guide, "Enable SAML 2.0 federated principals to access the AWS Management Console": the
response is checked as AssumeRoleWithSAML checks it, the session is the role session it gives, and it
lasts the SessionDuration attribute (else one hour). The IdP's POST comes from another site and
carries no CSRF token: the signed, single-use assertion is what vouches for it. The role choice is an
ordinary form of this console (CSRF-checked) and the response waits for it sealed in the session, not
spent yet.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response
from starlette.routing import Route

from iamd.errors import AwsError
from iamd.service.context import ANONYMOUS, Call
from iamd.service.runtime import new_request_id
from iamd.service.sts import assume_role_with_saml as saml_service
from iamd.web.console.base import Console, Ctx, page

INVALID = "Your request included an invalid SAML response. To sign out, click here."
PENDING = "saml_response"


def _call(ctx: Ctx, tx) -> Call:
    request = ctx.request
    return Call(principal=ANONYMOUS, now=datetime.now(UTC).replace(microsecond=0),
                request_id=new_request_id(), env=ctx.console.env,
                source_ip=request.client.host if request.client else "",
                user_agent=request.headers.get("user-agent", ""), service="sts",
                secure_transport=request.url.scheme == "https", tx=tx, base_url=ctx.base_url())


def _error(ctx: Ctx, message: str = INVALID, status: int = 400) -> Response:
    return ctx.render("saml_error.html", status=status, message=message)


def receive(ctx: Ctx) -> Response:
    """The IdP's POST: verify, then sign in or offer the roles."""
    saml_response = ctx.raw_field("SAMLResponse")
    if not saml_response:
        return _error(ctx)
    try:
        with ctx.console.store.transaction(write=False) as tx:
            call = _call(ctx, tx)
            verified = saml_service.verify_for_console(tx, saml_response, call.now, saml_service.own_endpoints(call))
    except AwsError:
        return _error(ctx)
    choices = verified.role_choices()
    if not choices:
        return _error(ctx)
    if len(choices) == 1:
        return _sign_in(ctx, saml_response, choices[0])
    if ctx.session is None:
        ctx.session = ctx.console.sessions.create()
        ctx.set_cookie = ctx.session
    ctx.session.data[PENDING] = saml_response
    return ctx.render("saml_roles.html", accounts=_by_account(choices))


def choose(ctx: Ctx) -> Response:
    saml_response = ctx.session.data.pop(PENDING, None) if ctx.session is not None else None
    if not saml_response:
        return _error(ctx)
    return _sign_in(ctx, saml_response, ctx.field("role"))


def _by_account(roles: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for arn in roles:
        grouped.setdefault(arn.split(":")[4], []).append((arn, arn.rsplit("/", 1)[-1]))
    return sorted(grouped.items())


def _sign_in(ctx: Ctx, saml_response: str, role_arn: str) -> Response:
    """Redeem the response for ``role_arn``'s session and make it this browser's console session."""
    try:
        with ctx.console.store.transaction(write=True) as tx:
            call = _call(ctx, tx)
            verified = saml_service.verify_for_console(tx, saml_response, call.now, saml_service.own_endpoints(call))
            if role_arn not in verified.role_choices():
                return _error(ctx)
            duration = saml_service.session_duration(verified.assertion) or saml_service.DEFAULT_SECONDS
            result = saml_service.start_session(tx, call, verified, role_arn, duration)
            session = ctx.session or ctx.console.sessions.create(tx)
            session = ctx.console.sessions.renew(session, tx)  # a new token at sign-in: no fixation
            session.stage, session.account_id = "ready", role_arn.split(":")[4]
            session.user_id = ""  # not None, which is the root user's
            session.user_name = result["AssumedRoleUser"]["Arn"].split("/", 1)[1]
            credentials = result["Credentials"]
            # The console session ends with the role session: SessionDuration, else one hour.
            session.data = {"role_session": {"key": credentials["AccessKeyId"], "token": credentials["SessionToken"],
                                             "exp": credentials["Expiration"].timestamp()}}
            ctx.console.sessions.save(session, tx)
    except AwsError as error:
        return _error(ctx, (error.message or INVALID) if error.code == "ValidationError" else INVALID)
    ctx.session = ctx.set_cookie = session
    return ctx.redirect("/home")


def routes(console: Console) -> list[Route]:
    idp_post = page(console, receive, signed_in=False, csrf=False)
    return [
        Route("/saml", idp_post, methods=["POST"]),
        Route("/saml/role", page(console, choose, signed_in=False), methods=["POST"]),
    ]


def idp_endpoint(console: Console):
    """The same endpoint at /saml on the server's root, where AWS's is (https://signin.aws.amazon.com/saml)."""
    return page(console, receive, signed_in=False, csrf=False)
