from django.urls import path

from motcua.applicants import views

app_name = "applicants"

urlpatterns = [
    path("dang-nhap/", views.login, name="login"),
    path("dang-xuat/", views.logout, name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("xac-thuc/", views.verify, name="verify"),
    path("quen-mat-khau/", views.password_reset, name="password_reset"),
    path("ho-so-ca-nhan/", views.profile, name="profile"),
    path("dinh-danh/<slug:name>/", views.provider_start, name="provider_start"),
    path("dinh-danh/<slug:name>/ve/", views.provider_callback, name="provider_callback"),
]
