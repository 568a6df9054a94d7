"""``python -m clarity_settings`` is the ``clarity-settings`` command."""

from clarity_settings.cli import main

if __name__ == "__main__":
    main()
