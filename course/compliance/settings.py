"""The delivery settings file: where ``course report --lrs`` and ``course remind`` send things.

A YAML file, by default ``delivery.yaml`` in the workspace (``--settings FILE`` for another)::

    lrs:                                 # for `course report --lrs URL`
      username: course-reports
      batch_size: 100                    # statements per request
      attempts: 5                        # tries per request before the rest waits in the outbox
      backoff_seconds: 1.0               # first wait; doubles after each failed try
      timeout_seconds: 30
    smtp:
      host: smtp.example
      port: 587
      starttls: true                     # or ssl: true for port 465 (not both)
      username: compliance-mailer
      sender: "Compliance <compliance@example.com>"
      reply_to: help@example.com         # optional
      messages_per_second: 2
      ca_file: /etc/ssl/private-ca.pem   # optional: a private certificate authority
      timeout_seconds: 30

Passwords come from ``$COURSE_LRS_PASSWORD`` and ``$COURSE_SMTP_PASSWORD`` (``$COURSE_LRS_USERNAME``
and ``$COURSE_SMTP_USERNAME`` override the user names), or from a ``password`` key in the file, which
must then be readable by its owner only. Never from the command line: a command line is visible to
every user of the machine. A bad file gets an error naming the file and the key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints, model_validator

from course.policy import PolicyError
from course.policy._base import PolicyModel
from course.policy._loader import load_policy_file

SETTINGS_FILE = "delivery.yaml"
ENV = {"lrs": ("COURSE_LRS_USERNAME", "COURSE_LRS_PASSWORD"),
       "smtp": ("COURSE_SMTP_USERNAME", "COURSE_SMTP_PASSWORD")}

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SettingsError(PolicyError):
    """The delivery settings file is missing, malformed, or lacks what the command needs."""


class LrsSettings(PolicyModel):
    username: Name | None = None
    password: SecretStr | None = None
    batch_size: int = Field(100, ge=1, le=5000)
    attempts: int = Field(5, ge=1, le=20)
    backoff_seconds: float = Field(1.0, ge=0, le=300)
    timeout_seconds: float = Field(30.0, gt=0, le=600)


class SmtpSettings(PolicyModel):
    host: Name
    port: int | None = Field(None, ge=1, le=65535, description="default 465 with ssl, else 587 with starttls, else 25")
    starttls: bool = False
    ssl: bool = False
    username: Name | None = None
    password: SecretStr | None = None
    sender: Name = Field(description="the From address, e.g. 'Compliance <compliance@example.com>'")
    reply_to: Name | None = None
    messages_per_second: float = Field(2.0, gt=0, le=1000)
    ca_file: Path | None = None
    timeout_seconds: float = Field(30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _one_tls(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise ValueError("choose ssl (a TLS connection from the start, port 465) or starttls, not both")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.ssl else 587 if self.starttls else 25)


class DeliverySettings(PolicyModel):
    lrs: LrsSettings = LrsSettings()
    smtp: SmtpSettings | None = None


def settings_path(course_dir: Path | str, given: Path | str | None = None) -> Path:
    return Path(given) if given is not None else Path(course_dir) / SETTINGS_FILE


def load_settings(path: Path | str, *, required: bool = True) -> DeliverySettings:
    """Read and check the settings file; defaults when it is missing and not ``required``."""
    path = Path(path)
    if not path.exists():
        if required:
            raise SettingsError(path, None, "settings file not found (see the README's Compliance section "
                                "for its format)")
        return DeliverySettings()
    try:
        settings = load_policy_file(path, DeliverySettings)
    except PolicyError as exc:
        raise SettingsError(exc.file, exc.key, exc.expected) from None
    for section in ("lrs", "smtp"):
        part = getattr(settings, section)
        if part is not None and part.password is not None and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SettingsError(path, f"{section}.password", "a password in this file needs the file to be "
                                f"readable by its owner only (chmod 600 {path}), or put it in "
                                f"${ENV[section][1]} instead")
    return settings


def credentials(settings: LrsSettings | SmtpSettings, section: str, path: Path) -> tuple[str, str] | None:
    """``(username, password)`` from the environment, else the file; ``None`` when no user name is set."""
    user_env, password_env = ENV[section]
    username = os.environ.get(user_env) or settings.username
    if not username:
        return None
    password = os.environ.get(password_env)
    if password is None and settings.password is not None:
        password = settings.password.get_secret_value()
    if password is None:
        raise SettingsError(path, f"{section}.password", f"a user name is set for {section} but no password: set "
                            f"${password_env} (or a password key in the settings file)")
    return username, password
