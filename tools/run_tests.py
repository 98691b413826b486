"""Run the whole suite on SQLite and on PostgreSQL, both at once (MOTCUA_TEST_SERIAL=1: one after the other).

PostgreSQL: the server named by TEST_DATABASE_URL when given; otherwise a throwaway cluster that
this script creates with initdb in a temporary directory, starts on a free loopback port, and
removes afterwards. Without PostgreSQL server binaries the second run is skipped with a notice.
Extra arguments go to pytest (e.g. ``python tools/run_tests.py -k catalog -x``).

The two runs share nothing (each has its own database, media and pytest temporary directory), and a
run is mostly one Python process, so on a 2-core machine running them side by side takes about as
long as the longer one. Their output is interleaved line by line, each line tagged with its database.
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
import threading
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


TOTALS = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
# pytest's short summary lines of the failing tests, repeated at the very end: CI shows only the tail of the
# output, and with two runs interleaved the first run's failures would otherwise scroll out of it.
FAILURES: list[str] = []
_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


def start(database_url: str, label: str, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, MOTCUA_TEST_DB=label)
    basetemp = Path(tempfile.gettempdir()) / f"motcua-pytest-{label.lower()}"
    return subprocess.Popen([sys.executable, "-m", "pytest", f"--basetemp={basetemp}", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)


_PRINT = threading.Lock()


def follow(process: subprocess.Popen, label: str, tag: bool) -> int:
    """Echo a run's output live (tagged when runs overlap), adding its closing counts to TOTALS."""
    last = ""
    for line in process.stdout:
        with _PRINT:
            print(f"[{label}] {line}" if tag else line, end="", flush=True)
        if _COUNT.search(line):
            last = line
        if line.startswith(("FAILED ", "ERROR ")):
            FAILURES.append(f"[{label}] {line.rstrip()}")
    status = process.wait()
    with _PRINT:
        for number, kind in _COUNT.findall(last):
            TOTALS["error" if kind.startswith("error") else kind] += int(number)
        if status != 0 and not _COUNT.search(last):
            TOTALS["error"] += 1  # pytest could not even start: count it as a failure
    return status


def run_all(runs: list[tuple[str, str]], args: list[str]) -> dict[str, int]:
    """Each (label, url) run; side by side unless MOTCUA_TEST_SERIAL is set. Their exit statuses."""
    statuses: dict[str, int] = {}
    if os.environ.get("MOTCUA_TEST_SERIAL") or len(runs) == 1:
        for label, url in runs:
            print(f"\n=== MotCua tests on {label} ===", flush=True)
            statuses[label] = follow(start(url, label, args), label, tag=False)
        return statuses
    print("\n=== MotCua tests on " + " and ".join(label for label, _ in runs) + ", side by side ===", flush=True)
    threads = []
    for label, url in runs:
        process = start(url, label, args)
        thread = threading.Thread(target=lambda p=process, l=label: statuses.__setitem__(l, follow(p, l, tag=True)))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return statuses


def summary(statuses: dict[str, int]) -> int:
    if FAILURES:
        print("\nFailing tests:\n" + "\n".join(FAILURES))
    print("\n" + "; ".join(f"{label}: {'passed' if status == 0 else 'FAILED'}" for label, status in statuses.items()))
    print(f"{TOTALS['passed']} passed, {TOTALS['failed'] + TOTALS['error']} failed, {TOTALS['skipped']} skipped")
    return max(statuses.values())


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
    sqlite = ("SQLite", "sqlite:///" + str(Path(tempfile.gettempdir()) / "motcua-test.sqlite3"))
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        return summary(run_all([sqlite, ("PostgreSQL", given)], args))
    bindir = pg_bindir()
    if bindir is None:
        print("\nPostgreSQL server binaries not found (apt-get install postgresql): PostgreSQL run skipped.")
        return summary(run_all([sqlite], args))
    with throwaway_cluster(bindir) as url:
        return summary(run_all([sqlite, ("PostgreSQL", url)], args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
