"""Sign-in for the embedded hub: NativeAuthenticator with accounts from the roster, sign-up closed.

``course hub up`` writes the new accounts' bcrypt password hashes to a root-only seed file; this
authenticator copies any account it does not know yet into NativeAuthenticator's own table when
the hub starts (plain-text passwords are never stored). Employees deactivated by the roster sync
(members of the ``deactivated`` hub group) are refused with the same message as a wrong password,
and their open sessions end at the next refresh (``Authenticator.auth_refresh_age``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from traitlets import Unicode

from course.hub.accounts import DEACTIVATED_GROUP


def is_deactivated(db: Any, username: str) -> bool:
    """Whether ``username`` is in the hub's ``deactivated`` group (``db``: the hub's ORM session)."""
    from jupyterhub import orm

    group = orm.Group.find(db, DEACTIVATED_GROUP)
    return bool(group) and any(u.name == username for u in group.users)


class DeactivationMixin:
    """Refuse sign-in and end sessions for deactivated employees; for any JupyterHub authenticator."""

    db: Any

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> Any:
        result = await super().authenticate(handler, data)  # type: ignore[misc]
        name = result.get("name") if isinstance(result, dict) else result
        if name and is_deactivated(self.db, name):
            return None
        return result

    async def refresh_user(self, user: Any, handler: Any = None) -> Any:
        if is_deactivated(self.db, user.name):
            return False
        return await super().refresh_user(user, handler)  # type: ignore[misc]


class RosterAuthenticator(DeactivationMixin, NativeAuthenticator):
    """NativeAuthenticator whose accounts come from the roster (see the module docstring)."""

    seed_file = Unicode("", config=True, help="JSON file {username: bcrypt hash} of accounts to create at start")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seed_accounts()

    def _seed_accounts(self) -> None:
        if not self.seed_file or not Path(self.seed_file).exists():
            return
        accounts = json.loads(Path(self.seed_file).read_text("utf-8"))
        added = 0
        for username, entry in accounts.items():
            if UserInfo.find(self.db, username) is None:
                self.db.add(UserInfo(username=username, password=entry["hash"].encode(), is_authorized=True,
                                     email=entry.get("email", "")))
                added += 1
        if added:
            self.db.commit()
            self.log.info("Created %d roster account(s) for sign-in", added)


def _oauth_base() -> type:
    from oauthenticator.generic import GenericOAuthenticator

    return GenericOAuthenticator


def _lti_base() -> type:
    from ltiauthenticator.lti13.auth import LTI13Authenticator

    return LTI13Authenticator


class CourseOAuthenticator(DeactivationMixin, _oauth_base()):  # type: ignore[misc]
    """Company single sign-on (OpenID Connect, ``auth.kind: oidc``); deactivated employees are refused."""


class CourseLTI13Authenticator(DeactivationMixin, _lti_base()):  # type: ignore[misc]
    """LTI 1.3 launch from the LMS (``auth.kind: lti13``); deactivated employees are refused."""
