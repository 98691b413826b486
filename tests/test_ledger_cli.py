"""`motcua verify-ledger` against a real SQLite file edited behind MotCua's back with sqlite3."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ON_SQLITE = os.environ.get("MOTCUA_TEST_DB", "SQLite") == "SQLite"
pytestmark = pytest.mark.skipif(not ON_SQLITE, reason="uses its own SQLite file; run once")

LIFE = """
import factories
from test_dossiers import at, received
from motcua.dossiers import services as s
w = factories.dossier_world()
for day in (15, 16):
    d = s.forward(received(w, when=at(day, 9)), w.receptionist, at=at(day, 10))
    print(d.code)
"""


def motcua(args, env):
    return subprocess.run([sys.executable, "-m", "motcua.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def test_verify_ledger_names_the_dossier_edited_with_sqlite3(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path / "var"), MEDIA_ROOT=str(tmp_path / "media"),
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]))
    assert motcua(["migrate", "-v", "0"], env).returncode == 0
    made = motcua(["shell", "-c", LIFE], env)
    assert made.returncode == 0, made.stderr
    first, second = made.stdout.split()[-2:]
    clean = motcua(["verify-ledger"], env)
    assert clean.returncode == 0 and "OK   2 hồ sơ" in clean.stdout
    with sqlite3.connect(tmp_path / "var" / "motcua.sqlite3") as db:
        db.execute("UPDATE dossiers_dossier SET due_at = '2025-12-31 10:00:00' WHERE code = ?", (first,))
        db.execute("UPDATE dossiers_ledgerevent SET actor_name = 'ai-do' WHERE seq = 2 AND dossier_id = "
                   "(SELECT id FROM dossiers_dossier WHERE code = ?)", (second,))
    caught = motcua(["verify-ledger"], env)
    assert caught.returncode == 1
    assert f"SAI  {first}: dữ liệu hồ sơ khác với sổ cái ở trường: due_at" in caught.stdout
    assert f"SAI  {second}: sự kiện số 2 (accepted) đã bị sửa" in caught.stdout
    assert "2 trong 2 hồ sơ" in caught.stderr
