from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "motcua.web"
    label = "web"
    verbose_name = "Trang công khai"
