"""The ``motcua`` command: MotCua's own commands over Django management.

``motcua load-demo`` runs the management command ``load_demo``; any other Django command works too
(``motcua shell``, ``motcua dbshell``).
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "demo": "migrate, load the demo province and serve it (--no-serve to stop after loading)",
    "serve": "serve MotCua over HTTP with waitress (PORT, --host, --port)",
    "migrate": "create or update the database tables",
    "load-demo": "load the demo province: units, desks, staff for every role, procedures",
    "createadmin": "create a system administrator account",
    "catalog": "catalog export [FILE] | catalog import FILE — the procedure catalogue as JSON",
    "admin-units": "admin-units import [FILE ...] — load the national administrative-unit list",
    "worker": "worker [--once] [--poll S] — deliver queued notifications and webhooks (the outbox)",
    "apitoken": "apitoken create USERNAME --name NAME | list | revoke PREFIX — API tokens for integrations",
    "generate": "generate --dossiers N --months M [--seed S] — fill realistic dossier history (demo data)",
    "verify-ledger": "verify-ledger [CODE ...] — check every dossier's hash chain; exit 1 naming tampered dossiers",
    "report": ("report [--form 06|07b] --from D --to D [--unit CODE] [--by …] [--format json|csv|xlsx|pdf] [--verify]"
               " — Biểu 06 / 07b"),
    "scores": "scores --year Y [--quarter Q] [--unit CODE] [--staff] [--format json|csv] — evaluation scores (TT 01/2018)",
    "index766": "index766 --from D --to D | --period 2026-Q1 [--unit CODE] [--format json|csv] — QĐ 766 service index",
    "fake-gateway": "fake-gateway [--port N] [--ipn-url URL] — a local payment gateway speaking VNPay's protocol",
    "deadline": 'deadline --from "2025-01-24 10:00" --days 3 [--explain] [--json] — a due instant (no database)',
}


def _usage() -> str:
    lines = ["usage: motcua COMMAND [options]   (motcua COMMAND --help for each)", "", "commands:"]
    lines += [f"  {name:<12} {text}" for name, text in COMMANDS.items()]
    lines += ["", "Any Django management command also works, e.g. motcua shell."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(_usage())
        return
    if argv[1] == "deadline":  # pure calendar arithmetic: no Django, no database
        from motcua.calendar.cli import main as deadline

        sys.exit(deadline(argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    from django.core.management import execute_from_command_line

    command = argv[1].replace("-", "_") if argv[1] in COMMANDS else argv[1]
    execute_from_command_line(["motcua", command, *argv[2:]])


if __name__ == "__main__":
    main()
