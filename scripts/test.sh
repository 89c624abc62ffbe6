#!/usr/bin/env bash
# Runs every test of the solution and ends with one line: "N passed, N failed[, N skipped]".
# Installs (apt-get) what the integration tests need on a fresh machine.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/.artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

bash scripts/install-deps.sh >"$ROOT/.artifacts/install-deps.log" 2>&1 || { cat "$ROOT/.artifacts/install-deps.log"; echo "0 passed, 1 failed"; exit 1; }

if ! dotnet build Gitlab.Agent.Sdk.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Gitlab.Agent.Sdk.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" \
  --results-directory "$RESULTS" -- RunConfiguration.TestSessionTimeout=1500000
status=$?

python3 - "$RESULTS" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
passed = failed = skipped = 0
ns = {'t': 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010'}
files = glob.glob(sys.argv[1] + '/**/*.trx', recursive=True)
for f in files:
    c = ET.parse(f).getroot().find('t:ResultSummary/t:Counters', ns)
    if c is None:
        continue
    passed += int(c.get('passed', 0))
    failed += int(c.get('failed', 0)) + int(c.get('error', 0)) + int(c.get('timeout', 0)) + int(c.get('aborted', 0))
    skipped += int(c.get('notExecuted', 0))
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
if [ $status -ne 0 ]; then exit $status; fi
