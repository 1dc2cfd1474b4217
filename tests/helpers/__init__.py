"""What the tests share besides fixtures (those are in tests/conftest.py): builders of valid
documents, applications on test databases, publishing through the API, signing in to the
console, reading feeds and exports, serving over real HTTP, Chromium.

Test modules import from here, never from one another.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: schemas/, docs/, README.md
