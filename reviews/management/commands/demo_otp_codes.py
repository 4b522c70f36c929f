"""The current two-factor code of each demo login, so a newcomer can log in without a phone."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..demo_data import PEOPLE


class Command(BaseCommand):
    help = "Print the current authenticator code of each demo login. Refuses to run with DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "DEBUG is off: refusing to print two-factor codes. This is for the demo on "
                "your own machine: run with DJANGO_DEBUG=true."
            )
        now = time.time()
        rows = []
        for _key, email, *_rest in PEOPLE:
            device = (
                TOTPDevice.objects.filter(user__email=email, confirmed=True).order_by("pk").first()
            )
            if device is None:
                continue
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = now
            current = totp.token()
            totp.time = now + device.step
            following = totp.token()
            rows.append((email, f"{current:0{device.digits}d}", f"{following:0{device.digits}d}"))
        if not rows:
            raise CommandError("No demo login has an authenticator yet: run `manage.py seed_demo`.")
        step = 30
        left = int(step - now % step)
        self.stdout.write(f"Two-factor codes now (the next one is also accepted), {left} s left:")
        for email, current, following in rows:
            self.stdout.write(f"  {email:<42} {current}   next {following}")
        self.stdout.write("Each code works once per account; if one is refused, use the next.")
