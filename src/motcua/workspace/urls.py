from django.urls import path

from motcua.workspace import views

app_name = "workspace"
urlpatterns = [
    path("dang-nhap/", views.login, name="login"),
    path("dang-xuat/", views.logout, name="logout"),
    path("", views.inbox, name="inbox"),
]
