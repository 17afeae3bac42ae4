"""The hub settings file's ``auth:`` section really configures the embedded hub (course.hub.config):
native accounts from the roster, company single sign-on (OIDC) or an LMS launch (LTI 1.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from course.hub.config import configure
from course.hub.settings import SettingsError, load_settings
from tests.hub.conftest import roster_text
from tests.hub.test_auth_oidc import LTI_SECTION, SECRET_ENV, oidc


def _configured(tmp_path: Path, auth: dict | None) -> Config:
    (tmp_path / "roster.csv").write_text(roster_text(), "utf-8")
    secrets = tmp_path / "state" / "secrets"
    secrets.mkdir(parents=True)
    for name in ("roster-sync", "proxy"):
        (secrets / f"{name}.token").write_text("t" * 64 + "\n", "utf-8")
    text = {"state_dir": str(tmp_path / "state"), "roster": str(tmp_path / "roster.csv")}
    if auth is not None:
        text["auth"] = auth
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(text), "utf-8")
    c = Config()
    configure(c, load_settings(path))
    return c


def _authenticator(c: Config):  # the class JupyterHub would load, made with the same config
    from traitlets.utils.importstring import import_item

    return import_item(c.JupyterHub.authenticator_class)(config=c)


def test_native_sign_in_uses_the_roster_accounts_with_sign_up_closed(tmp_path: Path) -> None:
    c = _configured(tmp_path, None)
    assert c.JupyterHub.authenticator_class == "course.hub.native.RosterAuthenticator"
    a = c.NativeAuthenticator
    assert (a.enable_signup, a.open_signup, a.minimum_password_length) == (False, False, 12)
    assert set(c.JupyterHub.load_groups["learners"]["users"]) == {"ann", "ben", "cat"}


def test_oidc_in_the_settings_file_configures_single_sign_on(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """auth.kind: oidc gives GenericOAuthenticator (deactivated employees still refused) with the
    file's client, endpoints and group mapping; the identity provider's claims then own the groups."""
    monkeypatch.setenv(SECRET_ENV, "from-the-environment")
    c = _configured(tmp_path, oidc(groups_claim="groups"))
    assert c.JupyterHub.authenticator_class == "course.hub.native.CourseOAuthenticator"
    auth = _authenticator(c)
    from oauthenticator.generic import GenericOAuthenticator

    from course.hub.native import DeactivationMixin

    assert isinstance(auth, GenericOAuthenticator) and isinstance(auth, DeactivationMixin)
    assert (auth.client_id, auth.client_secret) == ("course-hub", "from-the-environment")
    assert auth.token_url == "https://idp.example.com/token" and auth.manage_groups
    assert {"learners", "trainers", "admins"} <= set(auth.allowed_groups)
    assert "load_groups" not in c.JupyterHub, "groups come from the claims, not the roster"
    assert auth.allowed_users == {"ann", "ben", "cat", "tom", "cora"}


def test_lti13_in_the_settings_file_configures_lms_launches(tmp_path: Path) -> None:
    c = _configured(tmp_path, LTI_SECTION)
    assert c.JupyterHub.authenticator_class == "course.hub.native.CourseLTI13Authenticator"
    auth = _authenticator(c)
    assert auth.issuer == "https://lms.example.com" and set(auth.client_id) == {"course-hub-tool"}
    assert auth.manage_groups and auth.post_auth_hook is not None


def test_a_bad_auth_section_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("auth:\n  kind: oidc\n", "utf-8")
    with pytest.raises(SettingsError, match=r"hub\.yaml.*\n.*auth.*oidc"):
        load_settings(path)
    path.write_text("auth:\n  kind: saml\n", "utf-8")
    with pytest.raises(SettingsError, match=r"auth\.kind"):
        load_settings(path)
