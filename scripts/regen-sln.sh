#!/usr/bin/env bash
# Regenerates Gitlab.Agent.Sdk.sln from every project under src/, tests/, samples/ and bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f Gitlab.Agent.Sdk.sln
dotnet new sln --format sln -n Gitlab.Agent.Sdk >/dev/null
for folder in src tests samples bench; do
  [ -d "$folder" ] || continue
  find "$folder" -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | sort | while read -r p; do
    dotnet sln Gitlab.Agent.Sdk.sln add "$p" --solution-folder "$folder" >/dev/null
  done
done
echo "regenerated Gitlab.Agent.Sdk.sln"
