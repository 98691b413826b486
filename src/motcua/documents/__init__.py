"""The one-stop forms as PDF (TT 01/2018 and TT 03/2025 annexes): see ``motcua.documents.forms``.

Nothing is imported here, so loading the Django app does not load WeasyPrint.
"""
