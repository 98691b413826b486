from django.contrib import admin
from django.urls import path

from motcua.api.api import api
from motcua.web import views

admin.site.site_header = "MotCua – Quản trị hệ thống một cửa điện tử"
admin.site.site_title = "MotCua"
admin.site.index_title = "Quản trị"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
