#!/usr/bin/env bash
# Run the test suite: set up .venv with the registry and its test tools, then pytest.
# Extra arguments go to pytest. REGISTRY_TEST_DATABASE=postgresql runs it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
