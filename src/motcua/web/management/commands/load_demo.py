from django.core.management.base import BaseCommand

from motcua import demo


class Command(BaseCommand):
    help = ("Load the demo province (Thanh Hóa): the administrative-unit list, units and desks, staff for every "
            "role, sample applicants and a catalogue of real procedures. Running it again changes nothing.")

    def handle(self, *args, **options):
        created = demo.load_demo()
        self.stdout.write("Đã nạp dữ liệu mẫu tỉnh Thanh Hóa." if created else "Dữ liệu mẫu đã có sẵn.")
        self.stdout.write(f"\nTài khoản mẫu (mật khẩu chung: {demo.DEMO_PASSWORD}):")
        for username, role, unit in demo.logins():
            self.stdout.write(f"  {username:<22} {role:<34} {unit}")
