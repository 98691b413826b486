from django.urls import path

from motcua.workspace import desk, dossier, leader, returns, views

app_name = "workspace"
urlpatterns = [
    path("dang-nhap/", views.login, name="login"),
    path("dang-xuat/", views.logout, name="logout"),
    path("", views.inbox, name="inbox"),
    path("ho-so/", leader.dossiers, name="dossiers"),
    path("ho-so/<str:ident>/", dossier.page, name="dossier"),
    path("ho-so/<str:ident>/thao-tac/<slug:name>/", dossier.command, name="command"),
    path("ho-so/<str:ident>/hen-lai/", dossier.apology_preview, name="apology_preview"),
    path("ho-so/<str:ident>/tep/<int:doc_id>/", dossier.document, name="document"),
    path("ho-so/<str:ident>/bieu-mau/<slug:form>/", dossier.form_pdf, name="form"),
    path("tiep-nhan/", desk.desk, name="desk"),
    path("tiep-nhan/thu-tuc/", desk.procedures, name="desk_procedures"),
    path("tiep-nhan/truong-hop/<int:variant_id>/", desk.variant, name="desk_variant"),
    path("tiep-nhan/nguoi-nop/", desk.applicant, name="desk_applicant"),
    path("tiep-nhan/truc-tuyen/", desk.online_queue, name="online_queue"),
    path("tra-ket-qua/", returns.returns, name="returns"),
    path("lanh-dao/", leader.overview, name="leader"),
]
