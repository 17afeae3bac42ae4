"""``course hub ...``: run the company hub (``up``) and keep it in step with the roster (``sync``)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

hub_app = typer.Typer(help="The company JupyterHub (one machine): set-up, start, roster sync.", no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True)

SettingsFile = Annotated[Path | None, typer.Option("--settings", help="Hub settings (YAML); default: "
                                                   "deploy/hub/hub.yaml.", show_default=False)]


def _settings(path: Path | None):  # -> HubSettings
    from course._paths import repo_root
    from course.hub.settings import load_settings

    return load_settings(path or repo_root() / "deploy" / "hub" / "hub.yaml")


def _fail(exc: Exception) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


@hub_app.command("up")
def up(
    settings: SettingsFile = None,
    module: Annotated[list[str] | None, typer.Option("--module", help="Release only these modules "
                                                     "(default: all).", show_default=False)] = None,
) -> None:
    """Prepare this machine (accounts from the roster, PostgreSQL gradebook, workspace, exchange) and run
    the hub in the foreground until Ctrl+C. Prints the address and the accounts made now."""
    from course.compliance.roster import RosterError
    from course.hub.settings import SettingsError
    from course.hub.setup import SetupError, banner, hub_command, prepare

    try:
        chosen = _settings(settings)
        prepared = prepare(chosen, modules=module)
    except (RosterError, SettingsError, SetupError, OSError) as exc:
        _fail(exc)
        return
    console.print(banner(prepared), highlight=False)
    argv, env = hub_command(settings)
    console.print("Starting JupyterHub (Ctrl+C, or `course hub down` from another shell, stops it and every "
                  "server; files stay) ...", highlight=False)
    proc = subprocess.Popen(argv, env=env)
    stop_all = False
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        stop_all = True
        proc.send_signal(signal.SIGINT)
        code = _wait_ignoring_interrupts(proc)
    if stop_all or _stopped_on_purpose(prepared):
        from course.hub.down import stop_hub

        done = stop_hub(prepared.settings, state=prepared.state)
        done.hub = True  # it had stopped already, on Ctrl+C or `course hub down`
        console.print(f"Stopped: {done.summary()}.", highlight=False)
        code = 0
    else:
        console.print(f"JupyterHub exited with status {code}; servers, proxy and PostgreSQL keep running, so "
                      "`course hub up` again picks them up (`course hub down` stops them).", highlight=False)
    raise typer.Exit(code)


def _wait_ignoring_interrupts(proc: subprocess.Popen) -> int:
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # a second Ctrl+C: the hub is already stopping
            continue


def _stopped_on_purpose(prepared) -> bool:  # `course hub down` leaves this mark before it stops the hub
    mark = prepared.state.root / "stopping"
    if mark.exists():
        mark.unlink()
        return True
    return False


@hub_app.command("down")
def down(settings: SettingsFile = None) -> None:
    """Stop the hub and everything it runs: employees' servers, services, proxy, PostgreSQL (files stay)."""
    from course.hub.down import stop_hub
    from course.hub.settings import SettingsError
    from course.hub.state import HubState

    try:
        chosen = _settings(settings).resolve()
        state = HubState.open(chosen)
        if state.root.is_dir():
            (state.root / "stopping").write_text("course hub down\n", "utf-8")
        done = stop_hub(chosen, state=state)
    except (SettingsError, OSError) as exc:
        _fail(exc)
        return
    console.print(f"Stopped: {done.summary()}.", highlight=False)


@hub_app.command("sync")
def sync(
    roster: Annotated[Path | None, typer.Argument(help="HR roster CSV (default: the settings' roster).",
                                                  show_default=False)] = None,
    settings: SettingsFile = None,
    hub_url: Annotated[str | None, typer.Option("--hub-url", help="The hub's address (default: from the "
                                                "settings).", show_default=False)] = None,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="File holding an API token with the "
                                                    "roster-sync scopes (default: the hub's own).",
                                                    show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; change nothing.")] = False,
) -> None:
    """Add, change and deactivate hub users and groups to match the roster (deactivated: server stopped,
    sign-in refused, history kept)."""
    from course.compliance.roster import RosterError
    from course.hub.settings import SettingsError
    from course.hub.sync import HubAPIError, sync_roster

    try:
        token = token_file.read_text("utf-8").strip() if token_file else None
        done = sync_roster(_settings(settings), roster, hub_url=hub_url, token=token, dry_run=dry_run)
    except (RosterError, SettingsError, HubAPIError, OSError) as exc:
        _fail(exc)
        return
    r = done.result
    console.print(f"Hub{' (dry run)' if dry_run else ''}: {r.summary()}.", highlight=False)
    for label, names in (("added", r.added), ("changed", r.changed), ("deactivated", r.deactivated),
                         ("reactivated", r.reactivated)):
        if names:
            console.print(f"  {label}: {', '.join(names)}", highlight=False)
    if done.new_passwords:
        console.print("New accounts (passwords shown this once):", highlight=False)
        for name, password in done.new_passwords.items():
            console.print(f"  {name}  {password}", highlight=False)
