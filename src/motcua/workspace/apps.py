import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _start_idle_clock(sender, request, user, **kwargs):
    """A new session starts its idle clock at login (IdleTimeoutMiddleware then writes it at most once a minute)."""
    if hasattr(request, "session"):
        request.session["last_seen"] = int(time.time())


class WorkspaceConfig(AppConfig):
    name = "motcua.workspace"
    verbose_name = _("Không gian làm việc của cán bộ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_start_idle_clock, dispatch_uid="workspace-idle-clock")
