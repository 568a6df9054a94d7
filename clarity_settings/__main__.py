"""``python -m clarity_settings``: print the resolved settings of this directory, secrets redacted."""

from clarity_settings import settings
from clarity_settings.inspection import describe


def main() -> None:
    """Show what this process would get, and from where."""
    rows = describe(settings)
    print(f"environment: {settings.current_env}")
    widths = [max(len(getattr(row, field)) for row in rows) for field in ("key", "value")]
    for row in rows:
        print(f"  {row.key:<{widths[0]}}  {row.value:<{widths[1]}}  {row.source}")


if __name__ == "__main__":
    main()
