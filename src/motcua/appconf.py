"""Settings an app keeps beside itself (applicants/conf.py, payments/conf.py): each read from Django
settings when set there (tests override them so), else from the environment, else its default; read
on every use, so a changed setting takes effect at once."""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str, defaults: dict[str, str]) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, defaults[name])
    return str(value).strip()
