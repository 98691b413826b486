from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "motcua.applicants"
    label = "applicants"
    verbose_name = "Tài khoản người nộp hồ sơ"
