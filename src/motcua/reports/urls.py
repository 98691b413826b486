"""Statistics pages for leaders and inspectors (/bao-cao/): Biểu 06, dashboards, evaluation scores
and the 766 index. Each part adds its own lines."""

from django.urls import path

from motcua.reports import views
from motcua.reports.index766 import views as index766

app_name = "reports"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("bieu-06/", views.bieu06, name="bieu06"),
    path("bang-dieu-khien/", views.dashboard_page, name="dashboard"),
    path("danh-gia/", views.scores_page, name="scores"),
    path("chi-so-766/", index766.index, name="index766"),
    path("chi-so-766/<str:identifier>/", index766.unit, name="index766_unit"),
    path("chi-so-766/<str:identifier>/<str:indicator>/", index766.drill, name="index766_drill"),
]
