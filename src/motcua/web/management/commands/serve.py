import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve MotCua over HTTP with waitress (a production WSGI server that also runs on one small machine)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="address to listen on (HOST)")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port (PORT, default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads")

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from motcua.wsgi import application

        self.stdout.write(f"MotCua đang phục vụ tại http://{host}:{port}/  (Ctrl+C để dừng)")
        serve(application, host=host, port=port, threads=threads, ident="MotCua")
