"""What every console page shares: the session, the CSRF check, one transaction, and operations by name.

A page handler is a plain function ``(ctx: Ctx) -> Response``, run in the thread pool (password hashing
and PostgreSQL round trips must not stall the event loop). Inside it, ``with ctx.api(write=...) as api``
opens one store transaction and ``api.run("ListUsers", {...})`` runs an IAM operation exactly as the Query
API would: the model's constraints (AWS's ValidationError messages), then ``service.dispatch.execute``
with the signed-in principal (authorization, the handler, the change counter).
"""

from __future__ import annotations

import hmac
import logging
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from jinja2 import Environment as Jinja, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from iamd.audit.operations import OPERATIONS as AUDIT_OPERATIONS
from iamd.errors import AccessDenied, AwsError, ValidationError
from iamd.protocol.constraints import check_constraints
from iamd.protocol.model import operation_model
from iamd.service.authenticate import principal_for_session
from iamd.service.console_sessions import COOKIE, IDLE_SECONDS, Session, SessionStore, Throttle
from iamd.service.context import Call, Environment
from iamd.service.dispatch import execute, signed_in_principal
from iamd.service.operations import OPERATIONS
from iamd.service.runtime import new_request_id
from iamd.web import audit_hooks

if TYPE_CHECKING:
    from iamd.service.runtime import Store

log = logging.getLogger("iamd.console")
HERE = Path(__file__).parent


class NotAvailable(AwsError):
    """An operation the console would use that this server does not serve yet."""

    code, status = "NotImplemented", 501


def available(name: str) -> bool:
    return ("iam", name) in OPERATIONS


class Console:
    """The console's long-lived parts."""

    def __init__(self, store: Store, env: Environment):
        self.store = store
        self.env = env
        self.sessions = SessionStore(store, env.secrets)
        self.throttle = Throttle(store)
        self.templates = Jinja(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                               trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(available=available, quote=lambda s: quote(str(s), safe=""))
        self.templates.filters["when"] = _when


def _when(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


class Api:
    """Operations by name in one transaction, as the signed-in principal."""

    def __init__(self, tx, call: Call, request: Request):
        self.tx = tx
        self.call = call
        self.request = request
        self.failures: list = []  # records of refused calls, written after the transaction

    def run(self, name: str, params: dict | None = None, service: str = "iam") -> dict:
        operation = OPERATIONS.get((service, name)) or AUDIT_OPERATIONS.get((service, name))
        if operation is None:
            raise NotAvailable(f"iamd does not implement the {service.upper()} operation {name} yet.")
        return self.run_operation(operation, params)

    def run_operation(self, operation, params: dict | None = None) -> dict:
        service, name = operation.service, operation.name
        params = {key: value for key, value in (params or {}).items() if value is not None}
        read_only = service == "sts" or not operation.writes
        try:
            if service in ("iam", "sts"):  # the others check their input themselves
                check_constraints(operation_model(service, name), params)
            result = execute(self.tx, self.call, operation, params) or {}
        except AwsError as error:
            self.failures.append(audit_hooks.failed_event(self.call, service, name, read_only, params, error,
                                                          self.request, console=True))
            raise
        audit_hooks.succeeded(self.tx, self.call, service, name, read_only, params, result, self.request,
                              console=True, changed=operation.writes)
        return result

    def try_run(self, name: str, params: dict | None = None,
                service: str = "iam") -> tuple[dict | None, AwsError | None]:
        """(result, None), or (None, the error) for a section of a page that may be refused alone."""
        try:
            return self.run(name, params, service), None
        except AwsError as error:
            return None, error

    def try_operation(self, operation, params: dict) -> tuple[dict | None, AwsError | None]:
        try:
            return self.run_operation(operation, params), None
        except AwsError as error:
            return None, error

    def all_pages(self, name: str, params: dict, key: str) -> list:
        out, marker = [], None
        while True:
            page = self.run(name, {**params, "Marker": marker})
            out.extend(page.get(key, []))
            marker = page.get("Marker")
            if not page.get("IsTruncated") or not marker:
                return out


class Ctx:
    def __init__(self, console: Console, request: Request, form, session: Session | None):
        self.console = console
        self.request = request
        self.form = form
        self.session = session
        self.set_cookie: Session | None = None

    @property
    def held(self) -> Session:
        """The session of a page that runs only with one: every signed-in page (``page`` redirects the
        others to sign in) and the sign-in steps after the first."""
        if self.session is None:
            raise RuntimeError("a console page that needs a session ran without one")
        return self.session

    @property
    def path_params(self) -> dict:
        return self.request.path_params

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return default if value is None else str(value).strip()

    def raw_field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return "" if value is None else str(value)

    def fields(self, name: str) -> list[str]:
        return [str(v).strip() for v in self.form.getlist(name)] if self.form is not None else []

    def url(self, path: str) -> str:
        return "/console" + path

    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def call(self, tx, audited: bool = False) -> Call:
        session = self.held
        now = datetime.now(UTC).replace(microsecond=0)
        if session.data.get("role_session"):
            return self._role_session_call(tx, now)
        principal, epoch = signed_in_principal(tx, session.account_id, session.user_id)
        context = {"aws:MultiFactorAuthPresent": "false"}
        if session.mfa_at is not None:
            context = {"aws:MultiFactorAuthPresent": "true",
                       "aws:MultiFactorAuthAge": str(int(time.time() - session.mfa_at))}
        return Call(principal=principal, now=now, request_id=new_request_id(), env=self.console.env,
                    source_ip=self.request.client.host if self.request.client else "",
                    user_agent=self.request.headers.get("user-agent", ""), service="iam",
                    secure_transport=self.request.url.scheme == "https", auth_epoch=epoch, tx=tx,
                    session_context=context, trail={} if audited else None)

    def _role_session_call(self, tx, now: datetime) -> Call:
        """A console session signed in through SAML (web/console/saml_signin.py) is the role session
        AssumeRoleWithSAML gave: its credentials' claims say who, and until when."""
        held = self.held.data["role_session"]
        sessions = self.console.env.sessions
        if sessions is None:  # web/worker.py always gives one; a SAML sign-in could not have made this session
            raise RuntimeError("no key to open session tokens with")
        owner = principal_for_session(tx, sessions, held["key"], held["token"], now)
        return Call(principal=owner.principal, now=now, request_id=new_request_id(), env=self.console.env,
                    source_ip=self.request.client.host if self.request.client else "",
                    user_agent=self.request.headers.get("user-agent", ""), service="iam",
                    secure_transport=self.request.url.scheme == "https", auth_epoch=owner.auth_epoch, tx=tx,
                    session=owner.session, session_context=owner.session_context)

    @contextmanager
    def api(self, write: bool = False):
        env, store = self.console.env, self.console.store
        audit = env.audit if audit_hooks.enabled(env) else None
        api = None
        if audit is not None:  # this process's deferred events first: Event history and Access Advisor show them
            audit.flush("reader")
        try:
            with store.transaction(write=write) as tx:
                api = Api(tx, self.call(tx, audit is not None), self.request)
                yield api
        finally:
            if api is not None and audit is not None:
                for event in api.failures:
                    if event is not None:
                        audit.write_apart(store, event)

    def flash(self, message: str, kind: str = "success") -> None:
        self.held.data.setdefault("flashes", []).append((kind, message))

    def render(self, template: str, status: int = 200, **values) -> Response:
        session = self.session
        flashes = session.data.pop("flashes", []) if session is not None and session.signed_in else []
        html = self.console.templates.get_template(template).render(
            session=session, csrf=session.csrf if session else "", flashes=flashes, request=self.request,
            signin_url=self.signin_url() if session and session.account_id else "", **values)
        return HTMLResponse(html, status_code=status)

    def redirect(self, path: str) -> Response:
        return RedirectResponse(self.url(path), status_code=303)

    def signin_url(self, alias: str | None = None) -> str:
        session = self.held
        return f"{self.base_url()}/console/signin/{alias or session.data.get('alias') or session.account_id}"

    def refused(self, error: AwsError, action: str = "") -> Response:
        """The page shown instead of one the signed-in principal may not see."""
        denied = error.action if isinstance(error, AccessDenied) else None
        status = error.status if denied is not None else 400
        return self.render("refused.html", status=status, error=error, action=denied or action)


def field_errors(error: AwsError, default: str, fields: dict[str, str] | None = None) -> dict[str, list[str]]:
    """AWS's message(s), keyed by the form field each concerns (the API member path → field name).

    A ValidationError's problems name their member (``userName``); any other error goes to ``default``.
    """
    out: dict[str, list[str]] = {}
    fields = fields or {}
    if isinstance(error, ValidationError) and error.problems:
        for problem in error.problems:
            member = problem.member.split(".")[0]
            name = fields.get(member) or (member[:1].upper() + member[1:] if member else default)
            out.setdefault(name, []).append(problem.message)
        return out
    out[default] = [error.message or error.code]
    return out


def page(console: Console, handler, *, signed_in: bool = True, csrf: bool = True):
    """Wrap ``handler(ctx)`` as a Starlette endpoint: session, CSRF on POST, thread pool, errors."""

    async def endpoint(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        try:
            # One trip to the thread pool: the session's lookup and save are store round trips too.
            response, ctx = await run_in_threadpool(_serve, console, handler, request, form, signed_in, csrf)
        finally:
            if form is not None:
                await form.close()
        if ctx is not None and ctx.set_cookie is not None:
            set_session_cookie(response, ctx.set_cookie, request)
        return response

    return endpoint


def _serve(console: Console, handler, request: Request, form, signed_in: bool, csrf: bool):
    session = console.sessions.get(request.cookies.get(COOKIE))
    held = session.data.get("role_session") if session is not None else None
    if session is not None and held and held.get("exp", 0) <= time.time():  # a SAML sign-in's role session
        console.sessions.end(session)  # ran out: sign in again
        return RedirectResponse("/console/signin", status_code=303), None
    if signed_in and (session is None or not session.signed_in):
        if session is not None and session.stage in ("mfa", "password"):
            return RedirectResponse("/console/signin/continue", status_code=303), None
        target = "/console/signin"
        if session is not None and session.account_id:
            target += "/" + quote(session.data.get("alias") or session.account_id)
        return RedirectResponse(target, status_code=303), None
    if request.method == "POST" and csrf:
        sent = str(form.get("csrf_token") or "") if form is not None else ""
        if session is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            return HTMLResponse("<h1>403 Forbidden</h1><p>The form has expired or did not come from this "
                                "console. Go back, reload the page and try again.</p>", status_code=403), None
    ctx = Ctx(console, request, form, session)
    response = _run(handler, ctx)
    if ctx.session is not None:
        console.sessions.save(ctx.session)  # only when the page changed it (flashes, wizard state ...)
    return response, ctx


def _run(handler, ctx: Ctx) -> Response:
    try:
        return handler(ctx)
    except AwsError as error:  # a page refused as a whole: say which action and why
        return ctx.refused(error)
    except Exception:
        log.exception("console page %s failed", ctx.request.url.path)
        return ctx.render("refused.html", status=500, error=AwsError("An internal error occurred."), action="")


def set_session_cookie(response: Response, session: Session, request: Request) -> None:
    response.set_cookie(COOKIE, session.token, max_age=None, path="/console", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console")


__all__ = ["Api", "Console", "Ctx", "NotAvailable", "available", "field_errors", "page", "IDLE_SECONDS"]
