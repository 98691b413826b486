from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the database, load the demo province (once) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="stop after migrating and loading")
        parser.add_argument("--port", type=int, default=None, help="port to serve on (default PORT or 8000)")

    def handle(self, *args, no_serve, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Đã cập nhật cơ sở dữ liệu.")
        call_command("load_demo", stdout=self.stdout)
        if not no_serve:
            extra = {"port": port} if port else {}
            call_command("serve", **extra)
