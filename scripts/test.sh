#!/usr/bin/env bash
# Run the test suite: set up .venv with the registry and its test tools, then pytest.
# Extra arguments go to pytest. REGISTRY_TEST_DATABASE=postgresql runs it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
# One set-up at a time: .ci/run starts its two suites together, and the second waits here for the first's set-up.
exec 9<scripts/test.sh
flock 9
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Installed again only when pyproject.toml changed since, so that two runs can share the venv (as .ci/run's do).
STAMP=.venv/.registry-installed
if ! cmp -s pyproject.toml "$STAMP" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  cp pyproject.toml "$STAMP"
fi
# The Nu Html Checker for tests/web/test_validators.py, from npm, once (where npm is there).
VNU_JAR=.venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar
if [ ! -f "$VNU_JAR" ] && command -v npm >/dev/null 2>&1; then
  npm install --silent --prefix .venv/vnu --no-audit --no-fund --ignore-scripts 'vnu-jar@>=23'
fi
flock -u 9
exec 9<&-
exec .venv/bin/python -m pytest "$@"
