from django.urls import path

from motcua.feedback import staff, views

app_name = "feedback"

urlpatterns = [
    path("danh-gia/<str:code>/", views.rate, name="rate"),
    path("phan-anh/", views.submit, name="submit"),
    path("phan-anh/<str:token>/", views.status, name="status"),
    path("cua-toi/", views.mine, name="mine"),
    path("can-bo/", staff.listing, name="staff"),
    path("can-bo/<int:pk>/", staff.detail, name="staff_detail"),
    path("can-bo/<int:pk>/<slug:action>/", staff.act, name="staff_act"),
]
