from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ThrottleBucket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=80, verbose_name="Khóa")),
                ("window_start", models.DateTimeField(db_index=True, verbose_name="Đầu khoảng thời gian")),
                ("hits", models.PositiveIntegerField(default=0, verbose_name="Số lần")),
            ],
            options={
                "verbose_name": "lượt tra cứu",
                "verbose_name_plural": "lượt tra cứu",
                "constraints": [models.UniqueConstraint(fields=("key", "window_start"), name="throttle_unique_window")],
            },
        ),
    ]
