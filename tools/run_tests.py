"""Run the whole suite on SQLite, then again on PostgreSQL.

PostgreSQL: the server named by TEST_DATABASE_URL when given; otherwise a throwaway cluster that
this script creates with initdb in a temporary directory, starts on a free loopback port, and
removes afterwards. Without PostgreSQL server binaries the second run is skipped with a notice.
Extra arguments go to pytest (e.g. ``python tools/run_tests.py -k catalog -x``).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


TOTALS = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


def pytest(database_url: str, label: str, args: list[str]) -> int:
    """Run pytest, echoing its output live and adding its closing counts to TOTALS."""
    print(f"\n=== MotCua tests on {label} ===", flush=True)
    env = dict(os.environ, DATABASE_URL=database_url, MOTCUA_TEST_DB=label)
    process = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    last = ""
    for line in process.stdout:
        print(line, end="", flush=True)
        if _COUNT.search(line):
            last = line
    status = process.wait()
    for number, kind in _COUNT.findall(last):
        TOTALS["error" if kind.startswith("error") else kind] += int(number)
    if status != 0 and not _COUNT.search(last):
        TOTALS["error"] += 1  # pytest could not even start: count it as a failure
    return status


def pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_cluster(bindir: Path):
    """initdb + pg_ctl into a temp dir; as root the server runs as the 'postgres' user (initdb refuses root)."""
    tmp = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = tmp / "data", free_port()
    options = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
    try:
        subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(tmp / "log"),
                        "-w", "start"], check=True, stdout=subprocess.DEVNULL)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


def main(args: list[str]) -> int:
    sqlite_status = pytest("sqlite:///" + str(Path(tempfile.gettempdir()) / "motcua-test.sqlite3"), "SQLite", args)
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        pg_status = pytest(given, "PostgreSQL", args)
    else:
        bindir = pg_bindir()
        if bindir is None:
            print("\nPostgreSQL server binaries not found (apt-get install postgresql): PostgreSQL run skipped.")
            print(f"{TOTALS['passed']} passed, {TOTALS['failed'] + TOTALS['error']} failed, {TOTALS['skipped']} skipped")
            return sqlite_status
        with throwaway_cluster(bindir) as url:
            pg_status = pytest(url, "PostgreSQL", args)
    print(f"\nSQLite: {'passed' if sqlite_status == 0 else 'FAILED'}; PostgreSQL: {'passed' if pg_status == 0 else 'FAILED'}")
    print(f"{TOTALS['passed']} passed, {TOTALS['failed'] + TOTALS['error']} failed, {TOTALS['skipped']} skipped")
    return sqlite_status or pg_status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
