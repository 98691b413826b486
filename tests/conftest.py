import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings, request):
    """Argon2 is deliberately slow; tests that do not check hashing use a fast hasher."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_configure(config):
    config.addinivalue_line("markers", "argon2: keep the production password hashers")
