"""Find, read and validate the policy files; turn every failure into a :class:`PolicyError`."""

from __future__ import annotations

import copy
import hashlib
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from course._paths import data_dir
from course.policy._channels import ChannelPolicy
from course.policy._completion import CompletionPolicy
from course.policy._moderation import ModerationPolicy
from course.policy._privacy import PrivacyPolicy
from course.policy._sensitive import SensitivePolicy
from course.policy._value import ValuePolicy
from course.policy._voice import BrandVoicePolicy

POLICY_DIR_ENV = "COURSE_POLICY_DIR"

M = TypeVar("M", bound=BaseModel)


class PolicyError(ValueError):
    """A policy file is missing, malformed or incomplete.

    ``file`` is the path, ``key`` the dotted location inside it (``platforms[2].default_audience``)
    or ``None`` for a problem with the whole file, and ``expected`` what should have been there.
    """

    def __init__(self, file: Path | str, key: str | None, expected: str) -> None:
        self.file = Path(file)
        self.key = key
        self.expected = expected
        where = f"{self.file}" + (f", key '{key}'" if key else "")
        super().__init__(f"{where}: {expected}")


def default_policy_dir() -> Path:
    """``$COURSE_POLICY_DIR`` when set, else the course's own ``data/policies``."""
    env = os.environ.get(POLICY_DIR_ENV)
    return Path(env) if env else data_dir() / "policies"


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    msg = str(error.get("msg", "invalid value"))
    if kind == "missing":
        return "this key is required but missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; allowed keys are listed in the course README)"
    if kind == "string_pattern_mismatch":
        return "expected an identifier: lower-case letters, digits and underscores, starting with a letter"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    inp = error.get("input")
    if kind not in ("missing",) and isinstance(inp, str | int | float | bool) and len(str(inp)) < 60:
        return f"{msg} (found {inp!r})"
    return msg


#: libyaml's parser when PyYAML was built with it (7x faster), else the pure-Python one: same results.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    return yaml.load(text, Loader=_SafeLoader)  # a safe loader: plain data only


def _parse_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, parsed once per distinct text (widgets and notebooks load the same
    files many times a session), and a deep copy each time, so no caller can change what the next gets."""
    return copy.deepcopy(_parsed(text))


def load_policy_file(path: Path | str, model: type[M]) -> M:
    """Read one YAML file and validate it against ``model``; raise :class:`PolicyError` on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(path, None, "file not found") from None
    except OSError as exc:
        raise PolicyError(path, None, f"cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(path, None, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PolicyError(path, None, f"is not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise PolicyError(path, None, f"expected a mapping of keys at the top level, found {found}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PolicyError(path, _format_loc(first["loc"]) or None, _describe(first)) from None


class PolicySet:
    """All policy files of one company, each loaded and validated on first use."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_policy_dir()
        if not self.directory.is_dir():
            raise PolicyError(self.directory, None, "policy folder not found")

    def _load(self, filename: str, model: type[M]) -> M:
        return load_policy_file(self.directory / filename, model)

    @cached_property
    def privacy(self) -> PrivacyPolicy:
        return self._load("privacy.yaml", PrivacyPolicy)

    @cached_property
    def completion(self) -> CompletionPolicy:
        return self._load("completion.yaml", CompletionPolicy)

    @cached_property
    def moderation(self) -> ModerationPolicy:
        return self._load("moderation.yaml", ModerationPolicy)

    @cached_property
    def brand_voice(self) -> BrandVoicePolicy:
        return self._load("brand_voice.yaml", BrandVoicePolicy)

    @cached_property
    def sensitive(self) -> SensitivePolicy:
        return self._load("sensitive_content.yaml", SensitivePolicy)

    @cached_property
    def value(self) -> ValuePolicy:
        return self._load("value.yaml", ValuePolicy)

    @cached_property
    def channels(self) -> ChannelPolicy:
        return self._load("channels.yaml", ChannelPolicy)

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.yaml"))

    def version_hash(self) -> str:
        """SHA-256 over every policy file's name and bytes: which policy a grade or certificate used."""
        digest = hashlib.sha256()
        for path in self.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"PolicySet({str(self.directory)!r})"


def load_policies(directory: Path | str | None = None) -> PolicySet:
    """The policies in ``directory`` (default: :func:`default_policy_dir`)."""
    return PolicySet(directory)
