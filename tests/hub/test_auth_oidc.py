"""Sign-in options (course.hub.auth): the settings models, the traitlets config they produce, and real
sign-ins: OpenID Connect against a real provider (node-oidc-provider) through a real JupyterHub and
configurable-http-proxy, and an LTI 1.3 launch signed with a key pair made here."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from traitlets.config import Config

from course.hub.auth import (
    GENERIC_OAUTH,
    LTI13,
    AuthSection,
    AuthSettingsError,
    ClaimGroups,
    LtiRoleGroups,
    authenticator_config,
    load_auth_settings,
)
from tests.hub._auth_fixtures import free_port, oidc_provider, running_hub

SECRET_ENV = "HUB_OIDC_CLIENT_SECRET"
CALLBACK = "https://hub.example.com/hub/oauth_callback"


def oidc(**over: object) -> dict:
    base = {"preset": "generic", "client_id": "course-hub", "client_secret": {"env": SECRET_ENV},
            "callback_url": CALLBACK, "authorize_url": "https://idp.example.com/auth",
            "token_url": "https://idp.example.com/token", "userinfo_url": "https://idp.example.com/userinfo",
            "groups": {"learners": ["staff"], "trainers": ["course-trainers"], "admins": ["course-admins"]}}
    return {"kind": "oidc", "oidc": {**base, **over}}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text, "utf-8")
    return path


# --- settings and generated configuration --------------------------------------------------------


def test_entra_preset_reads_groups_from_the_id_token() -> None:
    """Entra ID: endpoints from the tenant, claims from the ID token (its userinfo has no groups)."""
    section = oidc(preset="entra", tenant="11111111-2222-3333-4444-555555555555", authorize_url=None,
                   token_url=None, userinfo_url=None)
    for key in ("authorize_url", "token_url", "userinfo_url"):
        del section["oidc"][key]
    cfg = authenticator_config(section, environ={SECRET_ENV: "s3cret"})
    g = cfg["GenericOAuthenticator"]
    assert cfg["JupyterHub"]["authenticator_class"] == GENERIC_OAUTH
    tenant = "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555"
    assert g["authorize_url"] == tenant + "/oauth2/v2.0/authorize"
    assert g["token_url"] == tenant + "/oauth2/v2.0/token"
    assert g["userdata_from_id_token"] is True and "userdata_url" not in g
    assert g["username_claim"] == "preferred_username"
    assert g["client_secret"] == "s3cret" and g["basic_auth"] is True
    assert g["allowed_groups"] == ["admins", "learners", "trainers"] and g["admin_groups"] == ["admins"]


@pytest.mark.parametrize(("preset", "issuer", "authorize", "userinfo"), [
    ("okta", "https://example.okta.com/oauth2/default", "https://example.okta.com/oauth2/default/v1/authorize",
     "https://example.okta.com/oauth2/default/v1/userinfo"),
    ("keycloak", "https://sso.example.com/realms/staff",
     "https://sso.example.com/realms/staff/protocol/openid-connect/auth",
     "https://sso.example.com/realms/staff/protocol/openid-connect/userinfo"),
    ("google", None, "https://accounts.google.com/o/oauth2/v2/auth",
     "https://openidconnect.googleapis.com/v1/userinfo"),
])
def test_presets_build_the_provider_endpoints(preset: str, issuer: str | None, authorize: str, userinfo: str) -> None:
    """Okta and Keycloak derive every endpoint from the issuer; Google's are fixed."""
    section = oidc(preset=preset)
    for key in ("authorize_url", "token_url", "userinfo_url"):
        del section["oidc"][key]
    if issuer:
        section["oidc"]["issuer"] = issuer + "/"
    if preset == "google":
        section["oidc"].update(groups_claim="hd", groups={"learners": ["example.com"]})
    g = authenticator_config(section, environ={SECRET_ENV: "x"})["GenericOAuthenticator"]
    assert g["authorize_url"] == authorize
    assert g["userdata_url"] == userinfo
    assert "openid" in g["scope"]


def test_google_without_groups_claim_lets_in_only_accounts_the_roster_created() -> None:
    """Google ID tokens carry no groups: by default groups come from the roster, and only existing users sign in."""
    section = oidc(preset="google", groups={})
    for key in ("authorize_url", "token_url", "userinfo_url"):
        del section["oidc"][key]
    g = authenticator_config(section, environ={SECRET_ENV: "x"})["GenericOAuthenticator"]
    assert g["allow_existing_users"] is True
    assert "manage_groups" not in g and "allowed_groups" not in g
    assert g["username_claim"] == "email"


def test_config_is_accepted_by_the_real_authenticator_classes() -> None:
    """The generated dicts configure GenericOAuthenticator and LTI13Authenticator without a traitlets error."""
    from ltiauthenticator.lti13.auth import LTI13Authenticator
    from oauthenticator.generic import GenericOAuthenticator

    a = GenericOAuthenticator(config=Config(authenticator_config(oidc(), environ={SECRET_ENV: "x"})))
    assert a.manage_groups and a.allowed_groups == {"learners", "trainers", "admins"}
    assert a.userdata_url == "https://idp.example.com/userinfo" and a.client_secret == "x"
    lti_cfg = authenticator_config(LTI_SECTION)
    assert lti_cfg["JupyterHub"]["authenticator_class"] == LTI13
    lti = LTI13Authenticator(config=Config(lti_cfg))
    assert lti.client_id == {"course-hub-tool"} and lti.manage_groups and lti.allow_all
    assert isinstance(lti.post_auth_hook, LtiRoleGroups)


def test_claim_groups_maps_claim_values_to_hub_groups() -> None:
    """One value or a list, nested claims, and values the map does not know are ignored."""
    mapper = ClaimGroups("groups", (("learners", ("staff",)), ("trainers", ("t",)), ("compliance", ()),
                                    ("admins", ("a",))))
    assert mapper({"oauth_user": {"groups": ["staff", "t", "other"]}}) == ["learners", "trainers"]
    assert mapper({"oauth_user": {"groups": "a"}}) == ["admins"]
    assert mapper({"oauth_user": {"groups": ["nobody"]}}) == []
    assert mapper({"oauth_user": {}}) == []
    nested = ClaimGroups("realm_access.roles", (("learners", ("staff",)),))
    assert nested({"oauth_user": {"realm_access": {"roles": ["staff"]}}}) == ["learners"]


@pytest.mark.parametrize(("text", "key", "says"), [
    ("auth: native\n", "auth", "valid dictionary"),
    ("auth:\n  kind: oidc\n", "auth", "no 'oidc:' sub-section"),
    ("auth:\n  kind: saml\n", "auth.kind", "native"),
    ("auth:\n  kind: oidc\n  oidc:\n    preset: okta\n    client_id: x\n    client_secret: {env: S}\n"
     "    callback_url: https://h.example.com/hub/oauth_callback\n    groups: {learners: [a]}\n",
     "auth.oidc", "needs 'issuer'"),
    ("auth:\n  kind: oidc\n  oidc:\n    preset: entra\n    client_id: x\n    client_secret: {env: S}\n"
     "    callback_url: https://h.example.com/hub/oauth_callback\n    groups: {learners: [a]}\n",
     "auth.oidc", "needs 'tenant'"),
    ("auth:\n  kind: oidc\n  oidc:\n    preset: google\n    client_id: x\n    client_secret: {env: S}\n"
     "    callback_url: http://hub.example.com/hub/oauth_callback\n", "auth.oidc", "https://"),
    ("auth:\n  kind: oidc\n  oidc:\n    preset: keycloak\n    issuer: https://k.example.com/realms/r\n"
     "    client_id: x\n    client_secret: {env: S}\n    callback_url: https://h.example.com/hub/oauth_callback\n",
     "auth.oidc", "nobody could sign in"),
    ("auth:\n  kind: oidc\n  oidc:\n    preset: google\n    client_id: x\n    client_secret: {env: S}\n"
     "    callback_url: https://h.example.com/hub/oauth_callback\n    groups: {learners: [a]}\n",
     "auth.oidc", "groups_claim is null"),
    ("auth:\n  kind: oidc\n  oidc:\n    client_id: x\n    client_secret: {env: S, file: /f}\n",
     "auth.oidc.client_secret", "exactly one"),
    ("auth:\n  kind: lti13\n  lti13:\n    issuer: https://lms.example.com\n    client_id: c\n"
     "    authorize_url: https://lms.example.com/auth\n    jwks_endpoint: https://lms.example.com/jwks\n"
     "    roles: {}\n", "auth.lti13", "nobody could sign in"),
    ("auth:\n  kind: native\n  native: {open_signup: true}\n", "auth.native.open_signup", "unknown key"),
    ("auth: [\n", None, "not valid YAML at line"),
])
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, key: str | None, says: str) -> None:
    """A malformed auth: section is refused with the file, the dotted key and what was expected."""
    path = write(tmp_path, text)
    with pytest.raises(AuthSettingsError) as err:
        load_auth_settings(path)
    assert err.value.file == path
    assert err.value.key == key
    assert says in str(err.value) and str(path) in str(err.value)


def test_an_inline_secret_is_refused_without_repeating_it(tmp_path: Path) -> None:
    """A secret typed into the settings file is refused, and the error does not echo it into logs."""
    path = write(tmp_path, "auth:\n  kind: oidc\n  oidc:\n    client_id: x\n    client_secret: pa55-w0rd-xyz\n"
                           "    callback_url: https://h.example.com/hub/oauth_callback\n")
    with pytest.raises(AuthSettingsError, match="never write the secret") as err:
        load_auth_settings(path)
    assert "pa55-w0rd-xyz" not in str(err.value)


def test_the_secret_comes_from_a_file_or_a_named_variable(tmp_path: Path) -> None:
    """client_secret: {file: ...} reads the file at hub start; an unset variable is a clear error."""
    secret = tmp_path / "client-secret"
    secret.write_text("from-a-file\n", "utf-8")
    cfg = authenticator_config(oidc(client_secret={"file": str(secret)}), environ={})
    assert cfg["GenericOAuthenticator"]["client_secret"] == "from-a-file"
    with pytest.raises(ValueError, match=f"environment variable {SECRET_ENV}"):
        authenticator_config(oidc(), environ={})
    with pytest.raises(ValueError, match="cannot be read"):
        authenticator_config(oidc(client_secret={"file": str(tmp_path / "absent")}), environ={})


def test_native_is_the_default_with_sign_up_closed(tmp_path: Path) -> None:
    """A settings file without auth: is the embedded default: NativeAuthenticator, no self sign-up."""
    assert load_auth_settings(write(tmp_path, "hub: {port: 8000}\n")) == AuthSection()
    cfg = authenticator_config(AuthSection())
    assert cfg["NativeAuthenticator"]["enable_signup"] is False
    assert cfg["NativeAuthenticator"]["open_signup"] is False


def test_the_example_settings_file_is_valid(repo: Path) -> None:
    """deploy/SIGN-IN.md's examples are the files in deploy/k8s/: every one of them loads."""
    examples = sorted((repo / "deploy" / "k8s").glob("auth-*.yaml"))
    assert {p.name for p in examples} >= {"auth-entra.yaml", "auth-okta.yaml", "auth-google.yaml",
                                           "auth-keycloak.yaml", "auth-lti13.yaml"}
    for path in examples:
        section = load_auth_settings(path)
        assert section.kind in {"oidc", "lti13"}
        authenticator_config(section, environ={SECRET_ENV: "x"})


# --- LTI 1.3 -------------------------------------------------------------------------------------

LTI_SECTION = {"kind": "lti13", "lti13": {"issuer": "https://lms.example.com", "client_id": "course-hub-tool",
                                          "authorize_url": "https://lms.example.com/auth",
                                          "jwks_endpoint": "https://lms.example.com/jwks"}}
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"


def test_lti_roles_map_to_groups_and_unknown_roles_are_refused() -> None:
    """Instructor -> trainers, Learner -> learners, Administrator -> admins (and hub admin); a Mentor is refused."""
    hook = authenticator_config(LTI_SECTION)["LTI13Authenticator"]["post_auth_hook"]
    cases = {LIS + "membership#Instructor": ["trainers"], LIS + "membership#Learner": ["learners"],
             LIS + "institution/person#Administrator": ["admins"]}
    for role, groups in cases.items():
        model = hook(None, None, {"name": "u", "admin": None, "auth_state": {ROLES: [role]}})
        assert model["groups"] == groups
        assert model["admin"] is (groups == ["admins"])
    assert hook(None, None, {"name": "u", "admin": None, "auth_state": {ROLES: [LIS + "membership#Mentor"]}}) is None
    assert hook(None, None, {"name": "u", "admin": None, "auth_state": {}}) is None


# --- a real OpenID Connect sign-in ----------------------------------------------------------------

ACCOUNTS = {
    "demo-trainer": {"preferred_username": "demo-trainer", "email": "demo-trainer@example.com",
                     "groups": ["staff", "course-trainers"]},
    "demo-learner": {"preferred_username": "demo-learner", "email": "demo-learner@example.com", "groups": ["staff"]},
    "demo-admin": {"preferred_username": "demo-admin", "email": "demo-admin@example.com", "groups": ["course-admins"]},
    "demo-contractor": {"preferred_username": "demo-contractor", "email": "demo-contractor@example.com",
                        "groups": ["contractors"]},
}


@pytest.fixture(scope="module")
def oidc_hub(tmp_path_factory: pytest.TempPathFactory):
    """node-oidc-provider + JupyterHub + configurable-http-proxy, the hub configured by authenticator_config."""
    work = tmp_path_factory.mktemp("oidc-hub")
    port = free_port()
    client_secret = secrets.token_urlsafe(24)
    client = {"client_id": "course-hub", "client_secret": client_secret,
              "redirect_uris": [f"http://127.0.0.1:{port}/hub/oauth_callback"],
              "grant_types": ["authorization_code"], "response_types": ["code"]}
    with oidc_provider(work, clients=[client], accounts=ACCOUNTS) as issuer:
        meta = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        section = {"kind": "oidc", "oidc": {
            "preset": "generic", "issuer": issuer, "client_id": "course-hub",
            "client_secret": {"env": SECRET_ENV}, "callback_url": client["redirect_uris"][0],
            "authorize_url": meta["authorization_endpoint"], "token_url": meta["token_endpoint"],
            "userinfo_url": meta["userinfo_endpoint"], "scopes": ["openid", "profile", "email", "groups"],
            "groups_claim": "groups",
            "groups": {"learners": ["staff"], "trainers": ["course-trainers"], "admins": ["course-admins"]}}}
        with running_hub(work, section, port=port, env={SECRET_ENV: client_secret}) as hub:
            yield hub


def sign_in(hub_url: str, login: str) -> httpx.Response:
    """The browser's part of the authorization-code flow: the hub's login button, the provider's sign-in
    and consent forms, back to the hub's callback; returns the last response."""
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(f"{hub_url}/hub/oauth_login", params={"next": "/hub/home"})
        for _ in range(4):
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
            prompt = form and re.search(r'name="prompt" value="(\w+)"', form.group(2))
            if not prompt:
                return page
            fields = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                fields.update(login=login, password="any-password")
            page = browser.post(urljoin(str(page.url), form.group(1)), data=fields)
        return page




@pytest.mark.slow
@pytest.mark.xdist_group("hub-oidc")
def test_oidc_sign_in_puts_a_trainer_in_trainers(oidc_hub) -> None:
    """A real authorization-code sign-in lands on the hub home page; the user's groups come from the claim."""
    page = sign_in(oidc_hub.url, "demo-trainer")
    assert page.status_code == 200, page.text[:500]
    assert page.url.path == "/hub/home"
    user = oidc_hub.api("/users/demo-trainer").json()
    assert sorted(user["groups"]) == ["learners", "trainers"]
    assert user["admin"] is False


@pytest.mark.slow
@pytest.mark.xdist_group("hub-oidc")
def test_oidc_admins_group_makes_a_hub_admin(oidc_hub) -> None:
    """The mapped admins group makes a JupyterHub admin; a plain learner is not one."""
    assert sign_in(oidc_hub.url, "demo-admin").status_code == 200
    assert sign_in(oidc_hub.url, "demo-learner").status_code == 200
    admin = oidc_hub.api("/users/demo-admin").json()
    learner = oidc_hub.api("/users/demo-learner").json()
    assert admin["groups"] == ["admins"] and admin["admin"] is True
    assert learner["groups"] == ["learners"] and learner["admin"] is False


@pytest.mark.slow
@pytest.mark.xdist_group("hub-oidc")
def test_oidc_user_outside_allowed_groups_is_refused(oidc_hub) -> None:
    """Someone the provider signs in but whose groups map to no hub group gets 403 and no hub account."""
    page = sign_in(oidc_hub.url, "demo-contractor")
    assert page.status_code == 403
    assert page.url.path == "/hub/oauth_callback"
    assert oidc_hub.api("/users/demo-contractor").status_code == 404


# --- a real LTI 1.3 launch ------------------------------------------------------------------------

LTI_ISSUER = "https://lms.example.com"
LTI_CLIENT = "course-hub-tool"


def rsa_key() -> tuple[object, dict]:
    """A fresh RSA key pair: the private key and the public JWK (with a key id)."""
    import json as _json

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = _json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=secrets.token_hex(8), alg="RS256", use="sig")
    return key, jwk


@pytest.fixture(scope="module")
def lti_hub(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterHub whose sign-in is LTI 1.3, trusting the public key this test's 'LMS' serves as JWKS."""
    from tests.hub._auth_fixtures import json_server

    work = tmp_path_factory.mktemp("lti-hub")
    key, jwk = rsa_key()
    with json_server({"/jwks": {"keys": [jwk]}}) as lms:
        section = {"kind": "lti13", "lti13": {"issuer": LTI_ISSUER, "client_id": LTI_CLIENT,
                                              "authorize_url": f"{lms}/auth", "jwks_endpoint": f"{lms}/jwks",
                                              "username_key": "custom_employee_id", "uri_scheme": "http"}}
        with running_hub(work, section, port=free_port()) as hub:
            yield hub, key, jwk["kid"]


def lti_launch(hub_url: str, key: object, kid: str, *, employee: str, roles: list[str]) -> httpx.Response:
    """What the LMS and the browser do: login initiation, then the signed id_token posted to the hub."""
    import time as _time
    from urllib.parse import parse_qs, urlsplit

    import jwt

    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        init = browser.post(f"{hub_url}/hub/lti13/oauth_login", data={
            "iss": LTI_ISSUER, "login_hint": employee, "client_id": LTI_CLIENT,
            "target_link_uri": f"{hub_url}/hub/home", "lti_deployment_id": "1"})
        assert init.status_code == 302, init.text[:300]
        auth_request = {k: v[0] for k, v in parse_qs(urlsplit(init.headers["location"]).query).items()}
        assert auth_request["response_mode"] == "form_post" and auth_request["client_id"] == LTI_CLIENT
        now = int(_time.time())
        claims = {
            "iss": LTI_ISSUER, "aud": LTI_CLIENT, "sub": f"lms-{employee}", "iat": now, "exp": now + 300,
            "nonce": auth_request["nonce"],
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": f"{hub_url}/hub/home",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "module-00"},
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"employee_id": employee},
            ROLES: roles,
        }
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        return browser.post(auth_request["redirect_uri"], data={"id_token": id_token,
                                                                "state": auth_request["state"]})


@pytest.mark.slow
@pytest.mark.xdist_group("hub-lti")
def test_lti_launch_signs_in_with_groups_from_roles(lti_hub) -> None:
    """A signed launch for an Instructor and one for a Learner: each lands on the hub in the mapped group."""
    hub, key, kid = lti_hub
    for employee, role, group in (("e1001", "membership#Instructor", "trainers"),
                                  ("e1002", "membership#Learner", "learners")):
        done = lti_launch(hub.url, key, kid, employee=employee, roles=[LIS + role])
        assert done.status_code == 302 and done.headers["location"].endswith("/hub/home"), done.text[:300]
        assert hub.api(f"/users/{employee}").json()["groups"] == [group]


@pytest.mark.slow
@pytest.mark.xdist_group("hub-lti")
def test_lti_launch_is_refused_for_unmapped_roles_and_foreign_keys(lti_hub) -> None:
    """A Mentor (no hub group) gets 403; a token signed with a key the LMS never published gets 400."""
    hub, key, kid = lti_hub
    mentor = lti_launch(hub.url, key, kid, employee="e1003", roles=[LIS + "membership#Mentor"])
    assert mentor.status_code == 403
    forged_key, _ = rsa_key()
    forged = lti_launch(hub.url, forged_key, kid, employee="e1004", roles=[LIS + "membership#Instructor"])
    assert forged.status_code == 400
    for employee in ("e1003", "e1004"):
        assert hub.api(f"/users/{employee}").status_code == 404
