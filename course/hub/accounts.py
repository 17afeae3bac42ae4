"""Hub accounts from the HR roster: a sign-in name, a Unix account and a role for every employee.

The roster is the HR file of :mod:`course.compliance.roster` (its columns are checked there) with
two optional columns the hub reads:

* ``role``: ``learner`` (the default when empty or absent), ``trainer``, ``compliance`` or ``admin``;
* ``username``: the sign-in name; when empty, the part of the email before the ``@``, lower-cased.

A sign-in name must suit JupyterHub and Linux alike: a lower-case letter first, then lower-case
letters, digits, ``.``, ``_`` or ``-``, short enough that the Unix account (the prefix, ``smw-`` by
default, then the name) fits Linux's 32 characters. Every problem is reported with its line, and a
roster with any problem creates nothing.
"""

from __future__ import annotations

import csv
import grp
import io
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from course.compliance.roster import RosterError, RosterProblem, read_roster

#: Unix accounts the hub creates start with this, so they are easy to recognise (and to clean up).
DEFAULT_PREFIX = "smw-"
#: Linux's limit on user names (useradd refuses longer ones).
LINUX_NAME_MAX = 32
_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]*$")
#: Names JupyterHub or the system reserve; a roster may not claim them.
RESERVED = frozenset({"root", "admin", "hub", "api", "user", "users", "services", "grader", "compliance",
                      "nobody", "postgres", "daemon", "bin", "sys", "www-data"})


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


#: The hub group each role puts its members in.
ROLE_GROUPS = {Role.LEARNER: "learners", Role.TRAINER: "trainers", Role.COMPLIANCE: "compliance",
               Role.ADMIN: "admins"}
#: Hub group of employees who left the roster: their sign-in is refused, their history kept.
DEACTIVATED_GROUP = "deactivated"


@dataclass(frozen=True)
class Account:
    """One employee as the hub knows them."""

    employee_id: str
    username: str
    name: str
    email: str
    role: Role
    track: str
    line: int

    def unix_name(self, prefix: str = DEFAULT_PREFIX) -> str:
        return prefix + self.username

    @property
    def groups(self) -> list[str]:
        """The hub groups this account belongs in: its role's, and its track's (``track-<id>``)."""
        return [ROLE_GROUPS[self.role], f"track-{self.track}"]


def check_username(name: str, *, prefix: str = DEFAULT_PREFIX) -> str | None:
    """Why ``name`` cannot be a sign-in name (None when it can)."""
    longest = LINUX_NAME_MAX - len(prefix)
    if not name:
        return "is empty"
    if not _NAME_RE.match(name):
        return (f"{name!r} cannot be a sign-in name: it must start with a lower-case letter and use only "
                "lower-case letters, digits, '.', '_' or '-'")
    if len(name) > longest:
        return (f"{name!r} is {len(name)} characters long; sign-in names may have at most {longest} "
                f"(Linux allows {LINUX_NAME_MAX} for the account {prefix}{name})")
    if name in RESERVED:
        return f"{name!r} is reserved by the hub or the system"
    return None


def read_accounts(path: Path | str, *, prefix: str = DEFAULT_PREFIX,
                  tracks: Iterable[str] | None = None) -> list[Account]:
    """Read the roster at ``path`` into hub accounts; raise :class:`RosterError` listing every problem."""
    path = Path(path)
    employees = read_roster(path, tracks=tracks)  # HR columns, with their own line-numbered errors
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [h.strip() for h in (reader.fieldnames or [])]
    by_id = {e.employee_id: e for e in employees}
    problems: list[RosterProblem] = []
    accounts: list[Account] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        employee = by_id.get(values.get("employee_id", ""))
        if employee is None:
            continue  # a blank line (read_roster has accepted the file)
        role_text = values.get("role", "").lower() or Role.LEARNER.value
        try:
            role = Role(role_text)
        except ValueError:
            problems.append(RosterProblem(line, "role", f"unknown role {role_text!r}; expected one of "
                                          f"{', '.join(r.value for r in Role)}"))
            continue
        explicit = values.get("username", "")
        username = (explicit or employee.email.split("@", 1)[0]).lower()
        why = check_username(username, prefix=prefix)
        if why:
            column = "username" if explicit else "email"
            source = "" if explicit else " (taken from the email address; add a 'username' column to choose one)"
            problems.append(RosterProblem(line, column, why + source))
            continue
        if username in seen:
            problems.append(RosterProblem(line, "username", f"sign-in name {username!r} is already used on line "
                                          f"{seen[username]}"))
            continue
        seen[username] = line
        accounts.append(Account(employee_id=employee.employee_id, username=username, name=employee.name,
                                email=employee.email, role=role, track=employee.track, line=line))
    if problems:
        raise RosterError(path, problems)
    return accounts


# -- Unix accounts ------------------------------------------------------------------------------------

class AccountError(RuntimeError):
    """A Unix account could not be created; the message says which and why."""


def unix_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def sbin(tool: str) -> str:
    """Full path of a system tool (``/usr/sbin`` is often missing from PATH)."""
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin") or tool


def _run(argv: Sequence[str]) -> None:
    argv = [sbin(argv[0]), *argv[1:]]
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if done.returncode:
        raise AccountError(f"`{' '.join(argv)}` failed: {done.stderr.strip() or done.stdout.strip()}")


def ensure_group(name: str) -> int:
    """The gid of the system group ``name``, created if missing."""
    if not group_exists(name):
        _run(["groupadd", "--system", name])
    return grp.getgrnam(name).gr_gid


def _gecos(comment: str) -> str:
    """The comment as useradd stores it: no colons (the passwd field separator), at most 60 characters."""
    return comment.replace(":", " ")[:60]


def ensure_unix_account(name: str, *, home_root: Path, groups: Iterable[str] = (),
                        comment: str = "") -> pwd.struct_passwd:
    """Create the Unix account ``name`` (no password, no login shell) with an owner-only home in
    ``home_root``, or bring an existing one's supplementary groups up to date. Needs root."""
    if os.geteuid() != 0:
        raise AccountError(f"creating the Unix account {name} needs root")
    wanted = sorted(set(groups))
    for group in wanted:
        ensure_group(group)
    home = Path(home_root) / name
    if not unix_exists(name):
        home_root.mkdir(parents=True, exist_ok=True)
        argv = ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                "--user-group", "--comment", _gecos(comment)]
        if wanted:
            argv += ["--groups", ",".join(wanted)]
        _run([*argv, name])
    elif wanted:
        _run(["usermod", "--append", "--groups", ",".join(wanted), name])
    entry = pwd.getpwnam(name)
    os.chmod(entry.pw_dir, 0o700)
    return entry


#: How the hub marks the Unix accounts it makes: their passwd comment starts with this and a space
#: (useradd keeps no colons, so a mark with one never matched the accounts it was put on).
HUB_COMMENT = "course hub"


def hub_comment(detail: str) -> str:
    """The passwd comment of an account the hub makes (:func:`unix_conflicts` recognises it)."""
    return f"{HUB_COMMENT} {detail}"


def unix_conflicts(path: Path | str, accounts: Iterable[Account], *, prefix: str, home_root: Path) -> None:
    """Raise :class:`RosterError` (with lines) for accounts whose Unix name is already taken by
    something the hub did not make: a user with another home, or a group with no such user
    (``useradd --user-group`` would refuse it). Checked for every line before anything is created,
    so a sync or a set-up never stops half-way with some accounts made and others not."""
    problems = []
    for account in accounts:
        name = account.unix_name(prefix)
        column = "username"
        if unix_exists(name):
            entry = pwd.getpwnam(name)
            if Path(entry.pw_dir) != Path(home_root) / name or not entry.pw_gecos.startswith(HUB_COMMENT + " "):
                problems.append(RosterProblem(account.line, column, f"the Unix account {name} already exists and "
                                              "was not made by the hub; choose another sign-in name or remove it"))
        elif group_exists(name):
            problems.append(RosterProblem(account.line, column, f"a Unix group {name} already exists, so the hub "
                                          "cannot make the account; choose another sign-in name or remove the group"))
    if problems:
        raise RosterError(path, problems)


def remove_unix_account(name: str) -> None:
    """Delete the account and its home (tests and ``course hub`` clean-up only)."""
    if not unix_exists(name):
        return
    home = pwd.getpwnam(name).pw_dir
    for _ in range(50):  # userdel refuses while the account still has processes
        subprocess.run([sbin("pkill"), "-KILL", "-u", name], capture_output=True, check=False)
        if subprocess.run([sbin("userdel"), name], capture_output=True, check=False).returncode in (0, 6):
            break
        time.sleep(0.2)
    if group_exists(name):
        subprocess.run([sbin("groupdel"), name], capture_output=True, check=False)
    if home and home not in ("/", "") and Path(home).is_dir():
        shutil.rmtree(home, ignore_errors=True)


__all__ = [
    "DEACTIVATED_GROUP",
    "DEFAULT_PREFIX",
    "ROLE_GROUPS",
    "Account",
    "AccountError",
    "Role",
    "check_username",
    "ensure_group",
    "ensure_unix_account",
    "hub_comment",
    "read_accounts",
    "remove_unix_account",
    "unix_conflicts",
]
