"""Where the repository is, for tests that read its files (README, settings, locale)."""

from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
