"""The web console under /console: Starlette routes, Jinja2 templates, a little JavaScript, no build step.

Every page and action runs IAM operations through ``service.dispatch.execute`` as the signed-in
principal (``base.Api``), so the console shows and does exactly what the same call through the API may.
Routes are split by page area: signin, dashboard (and account settings, credential report), users,
wizard (Add user), groups, policies, inline (a user's, group's or role's inline policies), role_wizard
(Create role; before roles, whose /roles/{name} would otherwise take /roles/create), roles, mfa (and the
signed-in user's own security credentials), saml_signin (sign-in through a SAML IdP), events (Event history).
"""

from __future__ import annotations

from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles

from iamd.service.context import Environment
from iamd.service.runtime import Store
from iamd.web.console import (
    dashboard,
    events,
    groups,
    inline,
    mfa,
    policies,
    role_wizard,
    roles,
    saml_signin,
    signin,
    users,
    wizard,
)
from iamd.web.console.base import HERE, Console


def create_console(store: Store, env: Environment) -> ConsoleRouter:
    console = Console(store, env)
    routes = [Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static")]
    for area in (signin, saml_signin, dashboard, wizard, users, groups, policies, inline, role_wizard, roles, mfa,
                 events):
        routes.extend(area.routes(console))
    return ConsoleRouter(routes, console)


class ConsoleRouter(Router):
    """The console's routes, and the console they serve (the SAML endpoint, tests and tools reach in)."""

    def __init__(self, routes: list, console: Console):
        super().__init__(routes=routes)
        self.console = console
