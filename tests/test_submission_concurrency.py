"""A double click on "Nộp hồ sơ": two real HTTP requests for the same draft at the same moment make
one dossier, and both answer with its receipt. Real threads against the live server; PostgreSQL
(row locks; SQLite's in-memory test database is not shared between threads safely)."""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
import uuid

import pytest
from django.db import connection
from django.urls import reverse

import factories
from motcua.dossiers.models import Dossier, DossierDocument, LedgerEvent
from motcua.submission.models import Draft, DraftFile

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests are tested on PostgreSQL"),
]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_two_submits_of_the_same_draft_at_once_make_one_dossier(live_server, client):
    w = factories.dossier_world()
    client.force_login(w.citizen)
    cookies = {"sessionid": client.cookies["sessionid"].value}

    def headers(extra=None) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), **(extra or {})}

    opener = urllib.request.build_opener()
    start = opener.open(urllib.request.Request(
        live_server.url + reverse("submission:start", kwargs={"variant": w.variant.pk}), headers=headers()))
    for header in start.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";")[0]
    draft = Draft.objects.get()
    draft_url = live_server.url + reverse("submission:draft", kwargs={"uuid": draft.uuid})
    assert start.url == draft_url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', start.read().decode()).group(1)
    fields = {"csrfmiddlewaretoken": token, "contact_phone": "0912000111", "delivery": "online"}
    doc = w.variant.documents.get(order=1)
    body, content_type = multipart({**fields, "action": "save"}, {f"doc-{doc.pk}": ("don.pdf", PDF)})
    saved = opener.open(urllib.request.Request(draft_url, body, headers({"Content-Type": content_type,
                                                                         "Referer": draft_url})))
    assert saved.status == 200 and DraftFile.objects.filter(draft=draft).count() == 1

    body, content_type = multipart({**fields, "action": "submit"}, {})
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def click(index: int) -> None:
        request = urllib.request.Request(draft_url, body, headers({"Content-Type": content_type, "Referer": draft_url}))
        barrier.wait()
        try:
            with opener.open(request, timeout=30) as response:
                answers[index] = (response.status, response.url, response.read().decode())
        except Exception as exc:  # noqa: BLE001 - the test inspects what happened
            answers[index] = exc

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)

    d = Dossier.objects.get()  # exactly one
    receipt = live_server.url + reverse("submission:receipt", kwargs={"uuid": draft.uuid})
    for answer in answers:
        assert not isinstance(answer, Exception), answer
        status, url, page = answer
        assert status == 200 and url == receipt and str(d.reference) in page
    assert LedgerEvent.objects.filter(dossier=d, type="submitted").count() == 1
    assert DossierDocument.objects.filter(dossier=d).count() == 1
    draft.refresh_from_db()
    assert draft.dossier_id == d.pk and d.idempotency_key == draft.idempotency_key
