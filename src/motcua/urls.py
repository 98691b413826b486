from django.contrib import admin
from django.urls import include, path

from motcua.api.api import api
from motcua.web import views
from motcua.workspace import views as workspace_views

admin.site.site_header = "MotCua – Quản trị hệ thống một cửa điện tử"
admin.site.site_title = "MotCua"
admin.site.index_title = "Quản trị"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", workspace_views.admin_login),  # one staff login page, with its lockout
    path("admin/", admin.site.urls),
    path("can-bo/", include("motcua.workspace.urls")),
    path("bao-cao/", include("motcua.reports.urls")),  # statistics (issue 7)
    path("api/v1/", api.urls),
    # The public portal (issue 6): each part an app of its own.
    path("tai-khoan/", include("motcua.applicants.urls")),
    path("thanh-toan/", include("motcua.payments.urls")),
    path("ho-so/", include("motcua.submission.urls")),
    path("y-kien/", include("motcua.feedback.urls")),
    path("", include("motcua.portal.urls")),
]
