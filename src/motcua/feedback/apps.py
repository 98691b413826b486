from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "motcua.feedback"
    label = "feedback"
    verbose_name = "Đánh giá, phản ánh kiến nghị"

    def ready(self) -> None:
        from motcua.feedback import notices

        notices.register()  # the outbox's texts for feedback topics
