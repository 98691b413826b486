import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.services import CatalogImportError, export_catalog, import_catalog


class Command(BaseCommand):
    help = ("Export the procedure catalogue as JSON (to FILE or standard output), or import one "
            "(all or nothing; every problem is listed with its JSON path). Format: docs/catalog-format.md.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("file", nargs="?", help="JSON file; '-' or none = standard output/input")

    def handle(self, *args, action, file, **options):
        if action == "export":
            text = json.dumps(export_catalog(), ensure_ascii=False, indent=1) + "\n"
            if file in (None, "-"):
                self.stdout.write(text, ending="")
            else:
                with open(file, "w", encoding="utf-8") as handle:
                    handle.write(text)
                self.stderr.write(f"Đã xuất danh mục ra {file}.")
            return
        try:
            if file in (None, "-"):
                raw = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    raw = handle.read()
            doc = json.loads(raw)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Không đọc được tệp danh mục: {exc}") from exc
        try:
            counts = import_catalog(doc)
        except CatalogImportError as exc:
            raise CommandError("Không nhập danh mục (không có thay đổi nào được lưu):\n  " + "\n  ".join(exc.errors)) from exc
        except ValidationError as exc:
            raise CommandError("Không nhập danh mục: " + " ".join(exc.messages)) from exc
        self.stdout.write(
            f"Đã nhập {counts['procedures']} thủ tục, {counts['versions']} phiên bản, "
            f"{counts['variants']} trường hợp, {counts['sectors']} lĩnh vực."
        )
