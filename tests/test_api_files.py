"""Forms (PDF) and stored files through the API."""

from __future__ import annotations

import subprocess

import pytest
from django.core.files.storage import default_storage

import factories
from motcua.api.tokens import create_token
from motcua.dossiers import services as s
from motcua.dossiers.models import DossierDocument
from test_api import Api, error
from test_dossiers import at, received

pytestmark = pytest.mark.django_db


def test_receipt_pdf_and_document_download_with_checksum():
    w = factories.dossier_world()
    d = received(w)
    api = Api(create_token(w.receptionist, "thử")[1])
    response = api.get(f"/dossiers/{d.code}/forms/receipt")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True).stdout.decode()
    assert d.code in text
    error(api.get(f"/dossiers/{d.code}/forms/apology"), 422, "form_not_available")
    error(api.get(f"/dossiers/{d.code}/forms/nonsense"), 422)
    doc = DossierDocument.objects.get(dossier=d)
    response = api.get(f"/dossiers/{d.code}/documents/{doc.pk}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF") and "sha-256=" in response["Digest"]
    with default_storage.open(doc.file.name, "wb") as handle:  # the file changed on disk behind our back
        handle.write(b"%PDF-1.4 altered")
    error(api.get(f"/dossiers/{d.code}/documents/{doc.pk}"), 422, "file_tampered")
    outsider = Api(create_token(w.outsider, "khác")[1])
    error(outsider.get(f"/dossiers/{d.code}/forms/receipt"), 404)
    error(outsider.get(f"/dossiers/{d.code}/documents/{doc.pk}"), 404)
    s.forward(d, w.receptionist)
    assert api.get(f"/dossiers/{d.code}/forms/control_sheet").status_code == 200
