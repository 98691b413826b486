"""Statistics pages for leaders and inspectors (/bao-cao/): Biểu 06, dashboards, evaluation scores
and the 766 index. Each part adds its own lines."""

from django.urls import path  # noqa: F401  (parts add their paths below)

app_name = "reports"

urlpatterns: list = []
