from django.urls import path

from motcua.submission import form, mine

app_name = "submission"

urlpatterns = [
    path("nop/<int:variant>/", form.start, name="start"),
    path("ban-nhap/<uuid:uuid>/", form.draft, name="draft"),
    path("ban-nhap/<uuid:uuid>/bien-nhan/", form.receipt, name="receipt"),
    path("cua-toi/", mine.mine, name="mine"),
    path("cua-toi/<str:code>/", mine.detail, name="detail"),
    path("cua-toi/<str:code>/tep/<int:doc_id>/", mine.document, name="document"),
    path("cua-toi/<str:code>/bieu-mau/<slug:form>.pdf", mine.form_pdf, name="form"),
]
