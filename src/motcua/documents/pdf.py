"""HTML to PDF with WeasyPrint, offline: only ``data:`` URLs are ever resolved.

Government intranets are often offline and a form must never leak a request (or read a local file)
because of what ended up in its HTML. Any other URL — http(s), file, ftp, a relative path — is
refused and stops the rendering with a FormError, so a template bug is loud, not a silent blank.
"""

from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from motcua.documents.errors import FormError

__all__ = ["OfflineFetcher", "html_to_pdf"]


class OfflineFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that resolves ``data:`` URLs and refuses everything else.

    ``refused`` lists the URLs it was asked for and refused (for tests and logs).
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: forms render offline (data: URLs only)")
        return super().fetch(url, headers)


def html_to_pdf(html: str, *, fetcher: OfflineFetcher | None = None) -> bytes:
    """PDF bytes of ``html``; FormError when the HTML asks for a resource that is not a data: URL."""
    fetcher = fetcher or OfflineFetcher()
    try:
        pdf = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as exc:
        refused = ", ".join(fetcher.refused) or str(exc)
        raise FormError(f"the form refers to a resource outside the document: {refused}") from exc
    if pdf is None:  # pragma: no cover - write_pdf() without a target always returns bytes
        raise FormError("WeasyPrint returned no PDF")
    return pdf
