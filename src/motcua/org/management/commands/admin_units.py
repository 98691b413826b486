from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from motcua.org.services import DEFAULT_ADMIN_UNITS_FILES, import_admin_units


class Command(BaseCommand):
    help = ("Load the national administrative-unit list (default: the 63 provinces before 1/7/2025 and the "
            "34 provinces / 3,321 communes of QĐ 19/2025/QĐ-TTg shipped with MotCua). All or nothing per file.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import"])
        parser.add_argument("files", nargs="*", help="JSON files in the shipped format (org/data/*.json)")

    def handle(self, *args, action, files, **options):
        for path in files or DEFAULT_ADMIN_UNITS_FILES:
            try:
                dataset, created = import_admin_units(path)
            except (ValidationError, OSError) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
            state = "đã nạp" if created else "đã có sẵn"
            self.stdout.write(f"{dataset.decision} – {dataset.data_version}: {dataset.units.count()} đơn vị ({state}).")
