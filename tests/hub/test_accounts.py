"""Hub accounts from the roster: names both JupyterHub and Linux accept, roles, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.compliance.roster import RosterError
from course.hub.accounts import Role, check_username, read_accounts
from course.hub.settings import SettingsError, load_settings
from tests.hub.conftest import PEOPLE, roster_text


def test_accounts_take_the_email_name_and_the_role_column(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(roster_text(), "utf-8")
    accounts = read_accounts(path)
    assert [a.username for a in accounts] == [p[2] for p in PEOPLE]
    assert [a.role for a in accounts][-2:] == [Role.TRAINER, Role.COMPLIANCE]
    assert accounts[0].unix_name() == "smw-ann" and accounts[0].groups == ["learners", "track-social_team"]


def test_the_shipped_roster_has_every_role(repo: Path) -> None:
    roles = {a.role for a in read_accounts(repo / "data" / "roster.csv")}
    assert roles == set(Role)


@pytest.mark.parametrize(("name", "why"), [("O'Brien", "cannot be a sign-in name"), ("9lives", "cannot be"),
                                           ("a" * 29, "at most 28"), ("admin", "reserved")])
def test_names_neither_can_accept_are_refused(name: str, why: str) -> None:
    assert why in (check_username(name.lower()) or "")


def test_a_bad_name_is_reported_with_its_line_and_nothing_is_created(tmp_path: Path) -> None:
    """prepare() reads the whole roster before it creates any account, folder or database."""
    from course.hub.setup import prepare

    rows = roster_text().splitlines()
    rows[3] = rows[3].replace("cat@brightwater", "cat!o@brightwater")
    rows[4] = rows[4].replace(",trainer", ",boss")
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    with pytest.raises(RosterError) as caught:
        read_accounts(path)
    text = str(caught.value)
    assert "line 4, column 'email'" in text and "'cat!o' cannot be a sign-in name" in text
    assert "line 5, column 'role': unknown role 'boss'" in text
    state = tmp_path / "state"
    with pytest.raises(RosterError):
        prepare(load_settings(None, state_dir=str(state), roster=str(path), unix_prefix="smw-none-"))
    assert not state.exists()


def test_a_duplicate_sign_in_name_names_both_lines(tmp_path: Path) -> None:
    header, first = roster_text().splitlines()[:2]
    twin = first.replace("E7001", "E7099").replace("ann@brightwater", "ANN@other")  # same name, other address
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([header, first, twin]) + "\n", "utf-8")
    with pytest.raises(RosterError, match=r"line 3, column 'username': sign-in name 'ann' is already used on line 2"):
        read_accounts(path)


def test_a_bad_settings_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("port: many\nauth:\n  kind: saml\n", "utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "port:" in str(caught.value) and "auth.kind:" in str(caught.value)
