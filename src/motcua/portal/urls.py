from django.urls import path

from motcua.portal import lookup_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.catalogue, name="catalogue"),
    path("thu-tuc/<str:code>/", views.procedure, name="procedure"),
    path("thu-tuc/<str:code>/mau/<int:document>/", views.template, name="template"),
    path("tra-cuu/", lookup_views.lookup, name="lookup"),
]
