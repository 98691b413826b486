from django.urls import path

from motcua.payments import views

app_name = "payments"

urlpatterns = [
    # <code>: the dossier code, or its reference (UUID) while the desk has not received it yet
    path("ho-so/<str:code>/", views.start, name="start"),
    path("ipn/", views.ipn, name="ipn"),  # the gateway's server-to-server notification
    path("ket-qua/", views.result, name="return"),  # where the gateway sends the browser back
]
