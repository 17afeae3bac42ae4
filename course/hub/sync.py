"""Keep the hub's users and groups in step with the roster, through the Hub REST API.

:func:`sync_hub` takes the roster's accounts, the hub's API URL and a token (the ``roster-sync``
service's, whose scopes are only what this needs) and reconciles:

* added: a hub user for every account on the roster not yet in the hub;
* changed: group memberships follow the role and track columns (``learners``, ``trainers``,
  ``compliance``, ``admins``, ``track-<id>``);
* deactivated: users the hub has but the roster no longer lists go into the ``deactivated`` group
  and out of every role group; their server is stopped and their API tokens are revoked; sign-in is
  refused (:mod:`course.hub.native`). They are never deleted: their files, their hub record and
  the course history stay. Someone who comes back on the roster is reactivated.

Only users the roster manages are touched: service accounts and users in no role group are left
alone. ``dry_run`` reports what would change without changing it. When it runs on the hub machine,
``course hub sync`` also makes the Unix accounts and sign-in passwords for new employees
(:func:`course.hub.setup.ensure_accounts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from course.hub.accounts import DEACTIVATED_GROUP, ROLE_GROUPS, Account, unix_conflicts

MANAGED_PREFIXES = ("track-",)


class HubAPIError(RuntimeError):
    """The hub refused or failed a request; the message names it."""


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    servers_stopped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
                f"{len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated; "
                f"{len(self.servers_stopped)} server(s) stopped")


class HubAPI:
    """A small client of the Hub REST API (``/hub/api``)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base = url.rstrip("/")
        if not self.base.endswith("/hub/api"):
            self.base += "/hub/api"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.timeout = timeout

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise HubAPIError(f"{method} {self.base}{path}: the hub did not answer ({exc})") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise HubAPIError(f"{method} {path}: {response.status_code} {message.strip()[:300]}")
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def users(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self.request("GET", "/users", params={"offset": offset, "limit": 200},
                                headers={"Accept": "application/jupyterhub-pagination+json"})
            items = page["items"] if isinstance(page, dict) else page
            out.update({u["name"]: u for u in items})
            nxt = page.get("_pagination", {}).get("next") if isinstance(page, dict) else None
            if not nxt:
                return out
            offset = nxt["offset"]

    def groups(self) -> dict[str, set[str]]:
        page = self.request("GET", "/groups", params={"limit": 1000})
        items = page["items"] if isinstance(page, dict) else page
        return {g["name"]: set(g.get("users", [])) for g in items}


def _q(name: str) -> str:
    return quote(name, safe="")


def _managed(group: str) -> bool:
    return group in ROLE_GROUPS.values() or group == DEACTIVATED_GROUP or group.startswith(MANAGED_PREFIXES)


def sync_hub(accounts: Iterable[Account], hub_url: str, token: str, *, dry_run: bool = False) -> SyncResult:
    """Reconcile the hub's users and groups with ``accounts`` (see the module docstring)."""
    api = HubAPI(hub_url, token)
    accounts = list(accounts)
    wanted: dict[str, set[str]] = {a.username: set(a.groups) for a in accounts}
    users = api.users()
    groups = api.groups()
    result = SyncResult()
    member_of: dict[str, set[str]] = {}
    for group, members in groups.items():
        for user in members:
            member_of.setdefault(user, set()).add(group)
    roster_managed = {u for u, gs in member_of.items() if any(_managed(g) for g in gs)}

    new = sorted(set(wanted) - set(users))
    if new and not dry_run:
        api.request("POST", "/users", json={"usernames": new})
    result.added.extend(new)
    plan_add: dict[str, set[str]] = {}
    plan_remove: dict[str, set[str]] = {}
    for name, target in wanted.items():
        current = {g for g in member_of.get(name, set()) if _managed(g)}
        for g in target - current:
            plan_add.setdefault(g, set()).add(name)
        for g in current - target:
            plan_remove.setdefault(g, set()).add(name)
        if name in new:
            continue
        if DEACTIVATED_GROUP in current:
            result.reactivated.append(name)
        elif target != current:
            result.changed.append(name)
        else:
            result.unchanged.append(name)
    leaving = sorted(u for u in roster_managed - set(wanted) if u in users
                     and DEACTIVATED_GROUP not in member_of.get(u, set()))
    for name in leaving:
        for g in member_of.get(name, set()):
            if _managed(g):
                plan_remove.setdefault(g, set()).add(name)
        plan_add.setdefault(DEACTIVATED_GROUP, set()).add(name)
        result.deactivated.append(name)
    if dry_run:
        return result
    for group in sorted(set(plan_add) - set(groups)):
        api.request("POST", f"/groups/{_q(group)}", json={})
    # Deactivate first (sign-in refused from here on), then stop servers and revoke tokens.
    if DEACTIVATED_GROUP in plan_add:
        leavers = sorted(plan_add.pop(DEACTIVATED_GROUP))
        api.request("POST", f"/groups/{DEACTIVATED_GROUP}/users", json={"users": leavers})
    for group, names in sorted(plan_remove.items()):
        api.request("DELETE", f"/groups/{_q(group)}/users", json={"users": sorted(names)})
    for group, names in sorted(plan_add.items()):
        api.request("POST", f"/groups/{_q(group)}/users", json={"users": sorted(names)})
    for name in leaving:
        if _stop_servers(api, name, users.get(name, {})):
            result.servers_stopped.append(name)
        for token in api.request("GET", f"/users/{_q(name)}/tokens").get("api_tokens", []):
            api.request("DELETE", f"/users/{_q(name)}/tokens/{token['id']}")
    return result


def _stop_servers(api: HubAPI, name: str, model: dict[str, Any]) -> bool:
    servers = model.get("servers") or {}
    stopped = False
    for server in servers:
        path = f"/users/{_q(name)}/server" if server == "" else f"/users/{_q(name)}/servers/{_q(server)}"
        api.request("DELETE", path)
        stopped = True
    return stopped


@dataclass
class LocalSync:
    """What :func:`sync_roster` did: the hub's changes, and passwords of accounts made now (shown once)."""

    result: SyncResult
    new_passwords: dict[str, str]


def seed_native_accounts(db_path: Any, seed_file: Any, usernames: Iterable[str]) -> int:
    """Copy new accounts' password hashes into the running hub's NativeAuthenticator table."""
    import json
    from pathlib import Path

    import sqlalchemy as sa
    from nativeauthenticator.orm import UserInfo

    seed = json.loads(Path(seed_file).read_text("utf-8"))
    engine = sa.create_engine(f"sqlite:///{db_path}")
    added = 0
    try:
        with engine.begin() as conn:
            UserInfo.__table__.create(conn, checkfirst=True)
            for name in usernames:
                known = conn.execute(sa.select(UserInfo.__table__.c.id).where(UserInfo.__table__.c.username == name))
                if name in seed and known.first() is None:
                    conn.execute(UserInfo.__table__.insert().values(
                        username=name, password=seed[name]["hash"].encode(), is_authorized=True,
                        email=seed[name].get("email", ""), has_2fa=False, login_email_sent=False))
                    added += 1
    finally:
        engine.dispose()
    return added


def sync_roster(settings: Any, roster: Any, *, hub_url: str | None = None, token: str | None = None,
                dry_run: bool = False) -> LocalSync:
    """``course hub sync``: on the hub machine, make what new employees need (Unix account, Jupyter
    config, password), then reconcile the hub's users and groups through its REST API."""
    from course.hub.accounts import read_accounts
    from course.hub.config import SYNC
    from course.hub.state import HubState
    from course.workspace import COURSE_ID

    settings = settings.resolve()
    accounts = read_accounts(roster or settings.roster, prefix=settings.unix_prefix)  # all lines checked first
    state = HubState.open(settings)
    if not dry_run and state.root.is_dir():  # and every Unix name, before any account is made
        unix_conflicts(roster or settings.roster, accounts, prefix=state.prefix, home_root=state.homes)
    url = hub_url or f"http://{settings.ip}:{settings.port}/"
    token = token or state.read_secret(SYNC)
    passwords: dict[str, str] = {}
    if not dry_run and state.root.is_dir():
        from course.hub.setup import ensure_accounts

        passwords = ensure_accounts(state, accounts, course_id=COURSE_ID)
        if (state.root / "jupyterhub.sqlite").exists():
            seed_native_accounts(state.root / "jupyterhub.sqlite", state.native_seed, [a.username for a in accounts])
    return LocalSync(result=sync_hub(accounts, url, token, dry_run=dry_run), new_passwords=passwords)
