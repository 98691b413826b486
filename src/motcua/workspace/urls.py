from django.urls import path

from motcua.workspace import dossier, views

app_name = "workspace"
urlpatterns = [
    path("dang-nhap/", views.login, name="login"),
    path("dang-xuat/", views.logout, name="logout"),
    path("", views.inbox, name="inbox"),
    path("ho-so/<str:ident>/", dossier.page, name="dossier"),
    path("ho-so/<str:ident>/thao-tac/<slug:name>/", dossier.command, name="command"),
    path("ho-so/<str:ident>/hen-lai/", dossier.apology_preview, name="apology_preview"),
    path("ho-so/<str:ident>/tep/<int:doc_id>/", dossier.document, name="document"),
    path("ho-so/<str:ident>/bieu-mau/<slug:form>/", dossier.form_pdf, name="form"),
]
