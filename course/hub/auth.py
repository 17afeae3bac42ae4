"""Sign-in options for the hub, configured from the ``auth:`` section of the hub settings file.

Three kinds, each a well-kept authenticator configured, never re-implemented:

* ``native``: NativeAuthenticator (accounts from the roster, sign-up closed);
* ``oidc``: the company's OpenID Connect single sign-on through OAuthenticator's
  GenericOAuthenticator, with presets for Microsoft Entra ID, Okta, Google Workspace and Keycloak;
* ``lti13``: a launch from the company's LMS through jupyterhub-ltiauthenticator's LTI13Authenticator.

:func:`authenticator_config` turns a validated section into traitlets configuration that a
``jupyterhub_config.py`` applies with ``c.merge(Config(authenticator_config(section)))``;
:func:`load_auth_settings` reads the section from a YAML file, with errors that name the file and
the key. Secrets are never written in the settings file: it names an environment variable or a file.

Groups: the identity provider's groups claim (OIDC) or the LMS roles claim (LTI 1.3) is mapped to
the hub's groups ``learners``, ``trainers``, ``compliance`` and ``admins``; someone whose claim maps
to none of them is refused at sign-in.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from course.policy import PolicyError, load_policy_file

#: The hub's groups a sign-in can put someone in (one per roster role).
HUB_GROUPS = ("learners", "trainers", "compliance", "admins")

GENERIC_OAUTH = "oauthenticator.generic.GenericOAuthenticator"
LTI13 = "ltiauthenticator.lti13.auth.LTI13Authenticator"
NATIVE = "nativeauthenticator.NativeAuthenticator"

#: LTI 1.3 role vocabulary (IMS LIS v2), the values an LMS sends in the roles claim.
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LTI_ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"


class AuthSettingsError(PolicyError):
    """The hub settings file's ``auth:`` section is missing, malformed or incomplete.

    The message names the file and the dotted key (``auth.oidc.client_id``) and says what was expected.
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecretRef(_Strict):
    """Where a secret is read from at hub start: an environment variable or a file (one of the two)."""

    env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="environment variable name")
    file: Path | None = Field(None, description="file whose content (stripped) is the secret, e.g. a mounted Secret")

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' (an environment variable) or 'file' (a file path)")
        return self

    def resolve(self, environ: Mapping[str, str]) -> str:
        """The secret's value; :class:`ValueError` naming the variable or file when it is absent or empty."""
        if self.env is not None:
            value = environ.get(self.env, "")
            if not value.strip():
                raise ValueError(f"environment variable {self.env} (the client secret) is not set")
            return value.strip()
        assert self.file is not None
        try:
            value = self.file.read_text("utf-8").strip()
        except OSError as exc:
            raise ValueError(f"client secret file {self.file} cannot be read ({exc.strerror})") from None
        if not value:
            raise ValueError(f"client secret file {self.file} is empty")
        return value


class GroupMap(_Strict):
    """For each hub group, the identity provider's values (group names or ids, LMS role URIs) that give it."""

    learners: list[str] = []
    trainers: list[str] = []
    compliance: list[str] = []
    admins: list[str] = []

    def pairs(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((group, tuple(getattr(self, group))) for group in HUB_GROUPS)

    def is_empty(self) -> bool:
        return not any(values for _, values in self.pairs())


def _https_or_loopback(url: str, key: str) -> str:
    """URLs the hub talks to must be HTTPS, except on this machine (127.0.0.1 / localhost), for tests."""
    if url.startswith("https://"):
        return url
    if url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        return url
    raise ValueError(f"{key} must be an https:// URL (found {url!r})")




@dataclass(frozen=True)
class _Preset:
    login_service: str
    issuer: str | None  # a template over the settings' fields ({tenant}); None: the settings must give it
    authorize: str | None  # templates over {issuer} / {tenant}; None: the settings must give it
    token: str | None
    userinfo: str | None
    claims_from: Literal["userinfo", "id_token"]
    scopes: tuple[str, ...]
    username_claim: str
    groups_claim: str | None


_MS = "https://login.microsoftonline.com/{tenant}"
PRESETS: dict[str, _Preset] = {
    # Entra ID puts the groups claim (group object ids) in the ID token only, once the app registration's
    # "groupMembershipClaims" is set; its userinfo endpoint (Microsoft Graph) does not return it.
    "entra": _Preset("Microsoft Entra ID", _MS + "/v2.0", _MS + "/oauth2/v2.0/authorize", _MS + "/oauth2/v2.0/token",
                     None, "id_token", ("openid", "profile", "email"), "preferred_username", "groups"),
    # Okta: the org or a custom authorization server; a "groups" claim is added in the server's Claims tab.
    "okta": _Preset("Okta", None, "{issuer}/v1/authorize", "{issuer}/v1/token", "{issuer}/v1/userinfo", "userinfo",
                    ("openid", "profile", "email", "groups"), "preferred_username", "groups"),
    # Google's ID tokens carry no group membership: groups then come from the roster (groups_claim unset),
    # or from the hosted-domain claim (groups_claim: hd, learners: [example.com]).
    "google": _Preset("Google Workspace", "https://accounts.google.com", "https://accounts.google.com/o/oauth2/v2/auth",
                      "https://oauth2.googleapis.com/token", "https://openidconnect.googleapis.com/v1/userinfo",
                      "userinfo", ("openid", "profile", "email"), "email", None),
    # Keycloak: issuer https://HOST/realms/REALM; a "Group Membership" mapper (full path off) adds "groups".
    "keycloak": _Preset("Keycloak", None, "{issuer}/protocol/openid-connect/auth",
                        "{issuer}/protocol/openid-connect/token", "{issuer}/protocol/openid-connect/userinfo",
                        "userinfo", ("openid", "profile", "email"), "preferred_username", "groups"),
    # Any other OpenID provider: give the endpoints from its /.well-known/openid-configuration.
    "generic": _Preset("Company account", None, None, None, None, "userinfo", ("openid", "profile", "email"),
                       "preferred_username", "groups"),
}


class OidcSettings(_Strict):
    """OpenID Connect single sign-on (GenericOAuthenticator). Unset keys take the preset's value."""

    preset: Literal["entra", "okta", "google", "keycloak", "generic"] = "generic"
    tenant: str | None = Field(None, description="Entra ID: the directory (tenant) id or its primary domain")
    issuer: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    #: where the user's claims are read: the userinfo endpoint, or the ID token of the token response
    claims_from: Literal["userinfo", "id_token"] | None = None
    client_id: str = Field(min_length=1)
    client_secret: Annotated[SecretRef, Field(description="{env: NAME} or {file: PATH}, never the secret")]
    #: how the hub proves it is the client at the token endpoint (every provider supports basic)
    token_endpoint_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    #: the hub's public address + /hub/oauth_callback, as registered with the identity provider
    callback_url: str
    scopes: list[str] | None = None
    username_claim: str | None = None
    #: the claim listing the user's groups; null: groups come from the roster, not the identity provider
    groups_claim: str | None = Field(None, description="default: the preset's")
    groups: GroupMap = GroupMap()
    login_service: str | None = Field(None, description="the button label: 'Sign in with ...'")

    @model_validator(mode="before")
    @classmethod
    def _before(cls, data: Any) -> Any:
        # Checked on the whole section so that the error message never repeats the secret's value.
        if isinstance(data, dict) and isinstance(data.get("client_secret"), str | int | float):
            raise ValueError(
                "client_secret: never write the secret itself in the settings file; put it in an environment "
                "variable or a file and name that (client_secret: {env: HUB_OIDC_CLIENT_SECRET} or "
                "client_secret: {file: /run/secrets/oidc-client-secret})")
        # An explicit `groups_claim: null` means "groups from the roster"; absent means "the preset's".
        if isinstance(data, dict) and "groups_claim" not in data:
            preset = PRESETS.get(str(data.get("preset", "generic")))
            if preset is not None:
                data = {**data, "groups_claim": preset.groups_claim}
        return data

    @model_validator(mode="after")
    def _fill_from_preset(self) -> OidcSettings:
        p = PRESETS[self.preset]
        if self.preset == "entra" and not self.tenant:
            raise ValueError("preset 'entra' needs 'tenant': the directory (tenant) id from the app registration")
        fields = {"tenant": self.tenant or ""}
        if self.issuer is None and p.issuer is not None:
            self.issuer = p.issuer.format(**fields)
        if self.issuer is not None:
            self.issuer = self.issuer.rstrip("/")
        fields["issuer"] = self.issuer or ""
        for key, template in (("authorize_url", p.authorize), ("token_url", p.token)):
            if getattr(self, key) is None:
                if template is None or ("{issuer}" in template and not self.issuer):
                    raise ValueError(f"preset {self.preset!r} needs '{'issuer' if template else key}'")
                setattr(self, key, template.format(**fields))
        self.claims_from = self.claims_from or p.claims_from
        if self.claims_from == "userinfo" and self.userinfo_url is None:
            if p.userinfo is None or ("{issuer}" in p.userinfo and not self.issuer):
                raise ValueError(f"preset {self.preset!r} needs 'userinfo_url' (or claims_from: id_token)")
            self.userinfo_url = p.userinfo.format(**fields)
        if self.claims_from == "id_token":
            if self.userinfo_url is not None:
                raise ValueError("give either 'userinfo_url' or claims_from: id_token, not both")
            if not self.token_url.startswith("https://"):  # type: ignore[union-attr]
                raise ValueError("claims_from: id_token needs an https:// token_url (the ID token is trusted "
                                 "because it comes straight from the provider over TLS)")
        for key in ("authorize_url", "token_url", "userinfo_url", "callback_url"):
            value = getattr(self, key)
            if value is not None:
                _https_or_loopback(value, key)
        self.scopes = self.scopes if self.scopes is not None else list(p.scopes)
        if "openid" not in self.scopes:
            raise ValueError("scopes must include 'openid'")
        self.username_claim = self.username_claim or p.username_claim
        self.login_service = self.login_service or p.login_service
        if not self.groups_claim and not self.groups.is_empty():
            raise ValueError("'groups' is given but groups_claim is null (groups from the roster): name the claim "
                             "that carries them (e.g. groups_claim: groups) or drop 'groups'")
        if self.groups_claim and self.groups.is_empty():
            raise ValueError(f"'groups' maps no value of the {self.groups_claim!r} claim to a hub group, "
                             "so nobody could sign in (or set groups_claim: null to take groups from the roster)")
        return self


#: LTI 1.3 roles an LMS sends (context and institution roles) and the hub group each gives by default.
DEFAULT_LTI_ROLES = GroupMap(
    learners=[LIS + "membership#Learner", LIS + "institution/person#Student"],
    trainers=[LIS + "membership#Instructor", LIS + "membership#ContentDeveloper", LIS + "institution/person#Faculty"],
    admins=[LIS + "institution/person#Administrator", LIS + "system/person#Administrator"],
)


class Lti13Settings(_Strict):
    """A launch from the LMS (LTI13Authenticator); the values come from registering the hub as a tool."""

    issuer: str = Field(min_length=1, description="the platform's issuer id, e.g. https://canvas.instructure.com")
    client_id: list[str] = Field(min_length=1, description="the client id(s) the LMS gave this tool")
    authorize_url: str = Field(description="the platform's OIDC authentication request endpoint")
    jwks_endpoint: str = Field(description="the platform's public keys (JWKS) URL")
    #: the id_token claim that becomes the hub username; custom_NAME reads the LTI custom claim NAME
    username_key: str = "email"
    roles: GroupMap = DEFAULT_LTI_ROLES
    uri_scheme: Literal["auto", "https", "http"] = "auto"
    tool_name: str = "Social Media at Work"
    tool_description: str = "The self-paced course on using social media at work safely"

    @field_validator("client_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Lti13Settings:
        for key in ("authorize_url", "jwks_endpoint"):
            _https_or_loopback(getattr(self, key), key)
        if self.roles.is_empty():
            raise ValueError("'roles' maps no LTI role to a hub group, so nobody could sign in")
        return self


class NativeSettings(_Strict):
    """Hub-local accounts (NativeAuthenticator): created from the roster, never by sign-up."""

    minimum_password_length: int = Field(12, ge=8)
    allowed_failed_logins: int = Field(5, ge=1)
    seconds_before_next_try: int = Field(60, ge=1)
    check_common_password: bool = True


class AuthSection(_Strict):
    """The ``auth:`` section: ``kind`` chooses the sign-in; only that kind's sub-section is read."""

    kind: Literal["native", "oidc", "lti13"] = "native"
    native: NativeSettings = NativeSettings()
    oidc: OidcSettings | None = None
    lti13: Lti13Settings | None = None

    @model_validator(mode="after")
    def _chosen_is_given(self) -> AuthSection:
        if self.kind != "native" and getattr(self, self.kind) is None:
            raise ValueError(f"kind is {self.kind!r} but there is no '{self.kind}:' sub-section")
        return self


class _SettingsFile(BaseModel):
    """A hub settings file: the ``auth:`` section is read here, other sections belong to the hub."""

    model_config = ConfigDict(extra="allow")
    auth: AuthSection = AuthSection()  # none: the embedded default, native accounts


def load_auth_settings(path: Path | str) -> AuthSection:
    """Read and validate the ``auth:`` section of the YAML settings file at ``path``.

    Raises :class:`AuthSettingsError` naming the file, the key and what was expected.
    """
    try:
        return load_policy_file(path, _SettingsFile).auth
    except PolicyError as exc:
        raise AuthSettingsError(exc.file, exc.key, exc.expected) from None


# --- what sign-in does with the claims ---------------------------------------------------------


def _as_values(raw: Any) -> set[str]:
    if raw is None:
        return set()
    if isinstance(raw, str):
        return {raw}
    if isinstance(raw, Iterable) and not isinstance(raw, Mapping):
        return {str(v) for v in raw}
    return {str(raw)}


def _mapped(pairs: tuple[tuple[str, tuple[str, ...]], ...], values: set[str]) -> list[str]:
    return [group for group, wanted in pairs if values.intersection(wanted)]


@dataclass(frozen=True)
class ClaimGroups:
    """``auth_state_groups_key`` for OAuthenticator: the hub groups that a user's groups claim maps to.

    ``claim`` is read from the user's claims (``auth_state["oauth_user"]``); dots reach nested claims.
    A claim may hold one value or a list. Values are compared exactly (Entra ID group object ids,
    Okta / Keycloak group names, Google's hosted domain).
    """

    claim: str
    pairs: tuple[tuple[str, tuple[str, ...]], ...]
    user_key: str = "oauth_user"

    def __call__(self, auth_state: Mapping[str, Any]) -> list[str]:
        node: Any = (auth_state or {}).get(self.user_key) or {}
        for part in self.claim.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return _mapped(self.pairs, _as_values(node))


@dataclass(frozen=True)
class LtiRoleGroups:
    """``post_auth_hook`` for LTI13Authenticator: hub groups from the launch's roles claim.

    Returns the auth model with ``groups`` (and ``admin`` for the admins group), or ``None`` (sign-in
    refused) when no role maps to a hub group. LTI13Authenticator has no allow-list of its own, so this
    hook is the gate: the configuration pairs it with ``allow_all``.
    """

    pairs: tuple[tuple[str, tuple[str, ...]], ...]

    def __call__(self, authenticator: Any, handler: Any, auth_model: dict[str, Any]) -> dict[str, Any] | None:
        roles = _as_values((auth_model.get("auth_state") or {}).get(LTI_ROLES_CLAIM))
        groups = _mapped(self.pairs, roles)
        if not groups:
            log = getattr(authenticator, "log", None)
            if log is not None:
                log.warning("LTI launch for %r refused: no role maps to a hub group", auth_model.get("name"))
            return None
        return {**auth_model, "groups": groups, "admin": "admins" in groups or bool(auth_model.get("admin"))}


def authenticator_config(auth: AuthSection | Mapping[str, Any], *,
                         environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Traitlets configuration for the chosen sign-in, for ``c.merge(Config(...))``.

    Pure apart from reading the OIDC client secret from the environment variable (``environ``,
    default ``os.environ``) or file the section names. Values are plain data except the two
    callables that map claims to hub groups (:class:`ClaimGroups`, :class:`LtiRoleGroups`).
    """
    section = auth if isinstance(auth, AuthSection) else AuthSection.model_validate(auth)
    if section.kind == "oidc":
        assert section.oidc is not None
        return _oidc_config(section.oidc, os.environ if environ is None else environ)
    if section.kind == "lti13":
        assert section.lti13 is not None
        return _lti13_config(section.lti13)
    n = section.native
    return {
        "JupyterHub": {"authenticator_class": NATIVE},
        "NativeAuthenticator": {
            "enable_signup": False, "open_signup": False,
            "minimum_password_length": n.minimum_password_length,
            "allowed_failed_logins": n.allowed_failed_logins,
            "seconds_before_next_try": n.seconds_before_next_try,
            "check_common_password": n.check_common_password,
        },
    }


def _oidc_config(o: OidcSettings, environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    generic: dict[str, Any] = {
        "login_service": o.login_service,
        "client_id": o.client_id,
        "client_secret": o.client_secret.resolve(environ),
        "basic_auth": o.token_endpoint_auth == "client_secret_basic",
        "oauth_callback_url": o.callback_url,
        "authorize_url": o.authorize_url,
        "token_url": o.token_url,
        "scope": list(o.scopes or ()),
        "username_claim": o.username_claim,
    }
    if o.claims_from == "id_token":
        generic["userdata_from_id_token"] = True
    else:
        generic["userdata_url"] = o.userinfo_url
    if o.groups_claim:
        pairs = o.groups.pairs()
        generic.update({
            "manage_groups": True,
            "auth_state_groups_key": ClaimGroups(o.groups_claim, pairs),
            "allowed_groups": sorted(group for group, values in pairs if values),
            "admin_groups": ["admins"] if o.groups.admins else [],
        })
    else:
        # Groups come from the roster (course roster import): only accounts the hub already has may sign in.
        generic["allow_existing_users"] = True
    return {"JupyterHub": {"authenticator_class": GENERIC_OAUTH}, "GenericOAuthenticator": generic}


def _lti13_config(lti: Lti13Settings) -> dict[str, dict[str, Any]]:
    return {
        "JupyterHub": {"authenticator_class": LTI13},
        "LTI13Authenticator": {
            "issuer": lti.issuer,
            "client_id": list(lti.client_id),
            "authorize_url": lti.authorize_url,
            "jwks_endpoint": lti.jwks_endpoint,
            "username_key": lti.username_key,
            "uri_scheme": lti.uri_scheme,
            "tool_name": lti.tool_name,
            "tool_description": lti.tool_description,
            "manage_groups": True,
            "allow_all": True,  # the gate is the roles hook: a launch whose roles map to no group is refused
            "post_auth_hook": LtiRoleGroups(lti.roles.pairs()),
        },
    }


__all__ = [
    "DEFAULT_LTI_ROLES",
    "HUB_GROUPS",
    "PRESETS",
    "AuthSection",
    "AuthSettingsError",
    "ClaimGroups",
    "GroupMap",
    "Lti13Settings",
    "LtiRoleGroups",
    "NativeSettings",
    "OidcSettings",
    "SecretRef",
    "authenticator_config",
    "load_auth_settings",
]
