"""The hub's one settings file (YAML): where it listens, how people sign in, where state lives.

Every key has a default (the embedded ``make hub`` set-up), so an empty file is valid; a bad file
gets an error naming the file, the key and what was expected. Relative paths are relative to the
repository (``var/hub`` is git-ignored). See ``deploy/hub/hub.yaml`` for the documented example.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from course._paths import repo_root
from course.hub.auth import AuthSection


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitSettings(_Strict):
    mem: str | None = Field("2G", description="memory limit per server, e.g. 2G (LocalProcessSpawner: advisory)")
    cpu: float | None = Field(1.0, description="CPU limit per server (LocalProcessSpawner: advisory)")


class CullerSettings(_Strict):
    enabled: bool = True
    timeout: int = Field(3600, ge=60, description="seconds a server may sit idle before it is stopped")


class HubSettings(_Strict):
    ip: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    #: hub database, cookie secret, course workspace, exchange, PostgreSQL data, homes
    state_dir: Path = Path("var/hub")
    #: where employees' Unix homes go (default: STATE_DIR/home)
    home_root: Path | None = None
    #: Unix accounts the hub creates start with this
    unix_prefix: str = Field("smw-", pattern=r"^[a-z][a-z0-9-]{0,10}$")
    roster: Path = Path("data/roster.csv")
    #: "postgres": a PostgreSQL server under STATE_DIR/postgres, started by `make hub`; or any SQLAlchemy URL
    gradebook: str = "postgres"
    #: how people sign in (course.hub.auth): native (roster accounts), oidc (single sign-on) or lti13 (an LMS)
    auth: AuthSection = AuthSection()
    limits: LimitSettings = LimitSettings()
    culler: CullerSettings = CullerSettings()

    def resolve(self, base: Path | None = None) -> HubSettings:
        """A copy whose paths are absolute (relative ones taken from ``base``, default the repository)."""
        base = base or repo_root()

        def absolute(p: Path) -> Path:
            return (p if p.is_absolute() else base / p).resolve()

        state = absolute(self.state_dir)
        return self.model_copy(update={"state_dir": state, "roster": absolute(self.roster),
                                       "home_root": absolute(self.home_root) if self.home_root else state / "home"})


class SettingsError(ValueError):
    """The settings file is missing or wrong; the message names the file and the key."""


def load_settings(path: Path | str | None = None, **overrides: object) -> HubSettings:
    """Read and validate the settings file (``None``: all defaults), then apply ``overrides``."""
    data: dict = {}
    where = "the defaults"
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            loaded = yaml.safe_load(path.read_text("utf-8")) or {}
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read the settings file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise SettingsError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"{path}: expected keys and values at the top level, found {type(loaded).__name__}")
        data = loaded
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return HubSettings.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()]
        raise SettingsError(f"{where}: {len(lines)} problem(s) in the hub settings:\n" + "\n".join(lines)) from None
