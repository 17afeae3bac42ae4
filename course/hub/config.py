"""The company JupyterHub's configuration, built from the settings file and the prepared state.

``deploy/hub/jupyterhub_config.py`` calls :func:`configure`. Everything it needs on disk (Unix
accounts, the course workspace, the exchange, PostgreSQL, secrets) is made first by
:func:`course.hub.setup.prepare` (``make hub`` runs both), so loading the configuration creates
nothing and a restarted hub finds its servers' work where it was.

Roles (JupyterHub RBAC), from the roster's ``role`` column through hub groups:

=============  ==============================================================================
learners       their own JupyterLab only (JupyterHub's default ``user`` role)
trainers       their own JupyterLab, and the formgrader service (release, collect, autograde,
               manual grading, feedback all happen in it)
compliance     the compliance service only (dashboard, spreadsheets, certificates, certificate
               verification; read-only); no server of their own, no learner's server
admins         JupyterHub's ``admin`` role
=============  ==============================================================================
"""

from __future__ import annotations

import os
import sys
from typing import Any

from course.hub.accounts import DEACTIVATED_GROUP, ROLE_GROUPS, Account, Role, read_accounts
from course.hub.runtime import runtime_for
from course.hub.settings import HubSettings
from course.hub.state import HubState

#: Hub-managed services, by name (their URLs are /services/<name>/).
FORMGRADER = "formgrader"
COMPLIANCE = "compliance"
CULLER = "idle-culler"
SYNC = "roster-sync"

#: The fewest scopes each service's own token needs.
SERVICE_SCOPES: dict[str, list[str]] = {
    # jupyterhub-singleuser as a service: it only checks who is asking (its OAuth does that).
    FORMGRADER: [],
    COMPLIANCE: [],
    CULLER: ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    # course hub sync: create and change users, set group memberships, stop servers, revoke tokens.
    SYNC: ["admin:users", "admin:groups", "list:users", "read:users", "servers", "tokens"],
}


def set_authenticator(c: Any, settings: HubSettings, state: HubState, accounts: list[Account]) -> bool:
    """The one place the sign-in method is chosen (``auth`` in the settings file, :mod:`course.hub.auth`).

    ``native``: NativeAuthenticator with the roster's accounts (:class:`course.hub.native.RosterAuthenticator`).
    ``oidc`` / ``lti13``: OAuthenticator's GenericOAuthenticator or LTI13Authenticator, configured by
    :func:`course.hub.auth.authenticator_config`, with the same refusal of deactivated employees.
    Returns whether the authenticator manages hub groups (then the roster does not load them).
    """
    from traitlets.config import Config

    from course.hub.auth import GENERIC_OAUTH, LTI13, NATIVE, authenticator_config

    cfg = authenticator_config(settings.auth)
    chosen = cfg["JupyterHub"].pop("authenticator_class")
    c.merge(Config(cfg))
    if chosen == NATIVE:
        c.JupyterHub.authenticator_class = "course.hub.native.RosterAuthenticator"
        c.RosterAuthenticator.seed_file = str(state.native_seed)
        return False
    c.JupyterHub.authenticator_class = {GENERIC_OAUTH: "course.hub.native.CourseOAuthenticator",
                                        LTI13: "course.hub.native.CourseLTI13Authenticator"}[chosen]
    section = cfg.get("GenericOAuthenticator") or cfg.get("LTI13Authenticator") or {}
    return bool(section.get("manage_groups"))


def load_groups(accounts: list[Account]) -> dict[str, dict[str, list[str]]]:
    """Hub groups from the roster: one per role and one per track (``track-<id>``)."""
    groups: dict[str, list[str]] = {name: [] for name in [*ROLE_GROUPS.values(), DEACTIVATED_GROUP]}
    for account in accounts:
        for group in account.groups:
            groups.setdefault(group, []).append(account.username)
    return {name: {"users": sorted(users)} for name, users in sorted(groups.items())}


def load_roles(service_names: set[str]) -> list[dict[str, Any]]:
    """JupyterHub roles for the role groups and the services (the fewest scopes that work)."""
    roles: list[dict[str, Any]] = [
        {"name": "admin", "groups": [ROLE_GROUPS[Role.ADMIN]]},
        {"name": "course-trainer", "description": "Trainers: the formgrader service",
         "groups": [ROLE_GROUPS[Role.TRAINER]],
         "scopes": [f"access:services!service={FORMGRADER}", "read:users:name", "read:groups:name"]},
        {"name": "course-compliance", "description": "Compliance officers: the compliance service, read-only",
         "groups": [ROLE_GROUPS[Role.COMPLIANCE]],
         "scopes": [f"access:services!service={COMPLIANCE}"]},
    ]
    for service, scopes in SERVICE_SCOPES.items():
        if scopes and service in service_names:
            roles.append({"name": f"service-{service}", "services": [service], "scopes": scopes})
    return roles


def services(settings: HubSettings, state: HubState) -> list[dict[str, Any]]:
    """Formgrader (jupyterhub-singleuser in the course workspace), the compliance service, the idle
    culler and the roster-sync API client."""
    rt = runtime_for(state.root)
    bin_dir = rt.bin_dir
    owner = state.course_owner
    base_env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "COURSE_HUB_STATE": str(state.root), **rt.env()}
    out: list[dict[str, Any]] = [
        {"name": FORMGRADER, "url": f"http://127.0.0.1:{state.port(FORMGRADER)}",
         "command": [str(rt.python), "-m", "jupyterhub.singleuser", f"--ServerApp.root_dir={state.workspace}",
                     "--ServerApp.terminals_enabled=False"],
         "user": owner, "cwd": str(state.workspace), "oauth_no_confirm": True, "display": True,
         "environment": {**base_env, **state.role_env("trainer"), "HOME": str(state.owner_home),
                         "JUPYTERLAB_SETTINGS_DIR": str(state.owner_home / ".jupyter" / "lab" / "user-settings"),
                         "JUPYTERHUB_DEFAULT_URL": "/formgrader"},
         "oauth_client_allowed_scopes": []},
        {"name": COMPLIANCE, "url": f"http://127.0.0.1:{state.port(COMPLIANCE)}",
         "command": [str(bin_dir / "python"), "-m", "course.hub.compliance_service"],
         "user": owner, "cwd": str(state.owner_home), "oauth_no_confirm": True, "display": True,
         "environment": {**base_env, "HOME": str(state.owner_home),
                         "COURSE_HUB_WORKSPACE": str(state.workspace),
                         "COURSE_HUB_REPORTS": str(state.owner_home / "reports")}},
        {"name": SYNC, "api_token": state.read_secret(SYNC), "display": False},
    ]
    if settings.culler.enabled:
        out.append({"name": CULLER, "display": False,
                    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                                f"--timeout={settings.culler.timeout}", "--cull-every=60"]})
    return out


def default_url(handler: Any) -> str:
    """Where someone lands after signing in: compliance officers on their service, others on their server."""
    user = handler.current_user
    groups = {g.name for g in getattr(user, "groups", [])}
    if groups & {ROLE_GROUPS[Role.LEARNER], ROLE_GROUPS[Role.TRAINER], ROLE_GROUPS[Role.ADMIN]}:
        return handler.hub.base_url + "spawn"
    if ROLE_GROUPS[Role.COMPLIANCE] in groups:
        return f"/services/{COMPLIANCE}/"
    return handler.hub.base_url + "home"


def configure(c: Any, settings: HubSettings, state: HubState | None = None) -> None:
    """Fill JupyterHub's config object ``c`` for the embedded deployment."""
    settings = settings.resolve()
    state = state or HubState.open(settings)
    accounts = read_accounts(settings.roster, prefix=settings.unix_prefix)
    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = state.port("hub")
    c.JupyterHub.db_url = f"sqlite:///{state.root / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state.secrets / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state.root / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = False  # a restarted hub reconnects to running servers: no work lost
    c.JupyterHub.cleanup_proxy = False
    c.ConfigurableHTTPProxy.command = [str(state.proxy_command)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{state.port('proxy-api')}"
    c.ConfigurableHTTPProxy.auth_token = state.read_secret("proxy")
    c.ConfigurableHTTPProxy.pid_file = str(state.root / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True
    groups_from_sign_in = set_authenticator(c, settings, state, accounts)
    c.Authenticator.allowed_users = {a.username for a in accounts}
    c.Authenticator.allow_existing_users = True  # users the roster sync adds through the API
    c.Authenticator.auth_refresh_age = 60  # a deactivated employee's session ends within a minute
    c.Authenticator.refresh_pre_spawn = True
    if not groups_from_sign_in:  # else the identity provider's claims set the groups at each sign-in
        c.JupyterHub.load_groups = load_groups(accounts)
    c.JupyterHub.services = services(settings, state)
    c.JupyterHub.load_roles = load_roles({s["name"] for s in c.JupyterHub.services})
    c.JupyterHub.default_url = default_url
    c.JupyterHub.spawner_class = "course.hub.spawner.CourseSpawner"
    c.CourseSpawner.state_dir = str(state.root)
    c.CourseSpawner.unix_prefix = settings.unix_prefix
    rt = runtime_for(state.root)
    c.Spawner.cmd = [str(rt.python), "-m", "jupyterhub.singleuser"]
    c.Spawner.environment = {"PATH": f"{rt.bin_dir}:/usr/local/bin:/usr/bin:/bin", **rt.env()}
    c.Spawner.default_url = "/lab"
    c.Spawner.args = ["--ServerApp.terminals_enabled=False"]
    c.Spawner.env_keep = ["LANG", "LC_ALL"]
    c.Spawner.http_timeout = 60
    c.Spawner.start_timeout = 120
    if settings.limits.mem:
        c.Spawner.mem_limit = settings.limits.mem
    if settings.limits.cpu:
        c.Spawner.cpu_limit = settings.limits.cpu
    from course._paths import repo_root

    c.JupyterHub.template_paths = [str(repo_root() / "deploy" / "hub" / "templates")]  # readable colours
    c.JupyterHub.template_vars = {"announcement_login": "Sign in with the name and password your trainer gave you."}
    c.JupyterHub.shutdown_on_logout = False
    c.JupyterHub.log_level = os.environ.get("COURSE_HUB_LOG_LEVEL", "INFO")
