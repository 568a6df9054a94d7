"""``manage.py check_secrets``: what ``clarity-settings check`` does, on Django's own settings object."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clarity_settings.cli.inspect import run_check


class Command(BaseCommand):
    """Validators and health: exit 0 healthy, 1 a validation failure, 2 SSM unreachable or degraded."""

    help = "Check the clarity secrets: every validator, and SSM health with a live probe."

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Print one line per finding; fail with the check's exit code."""
        report = run_check(settings)
        for line in report.lines():
            self.stdout.write(line)
        if report.exit_code:
            raise CommandError("the clarity secrets check failed", returncode=report.exit_code)
