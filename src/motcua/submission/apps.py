from django.apps import AppConfig


class SubmissionConfig(AppConfig):
    name = "motcua.submission"
    label = "submission"
    verbose_name = "Nộp hồ sơ trực tuyến, hồ sơ của tôi"
