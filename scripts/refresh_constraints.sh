#!/usr/bin/env bash
# Refresh constraints.txt: the exact versions the test suite passed with, for each supported
# Python. Installs the project with every extra into a fresh virtual environment per Python,
# freezes it, and merges the freezes (versions that differ get a python_version marker).
# Run it, run `.ci/run`, and commit constraints.txt if the suite is green.
#   scripts/refresh_constraints.sh [PYTHON ...]   (default: python3 and pyenv's newest 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
pythons=("$@")
if [ ${#pythons[@]} -eq 0 ]; then
  pythons=("$(command -v python3)")
  if command -v pyenv >/dev/null 2>&1; then
    newest=$(pyenv versions --bare | grep -E '^3\.12(\.[0-9]+)?$' | sort -V | tail -n 1 || true)
    [ -n "$newest" ] && pythons+=("$(pyenv root)/versions/${newest}/bin/python")
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
freezes=()
for python in "${pythons[@]}"; do
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  "$python" -m venv "$work/venv-$version"
  "$work/venv-$version/bin/python" -m pip install --quiet --upgrade pip
  "$work/venv-$version/bin/python" -m pip install --quiet -e '.[dev,dask,viz,notebooks,ema]'
  "$work/venv-$version/bin/python" -m pip freeze --exclude-editable > "$work/freeze-$version.txt"
  freezes+=("$work/freeze-$version.txt")
done
python3 - "${freezes[@]}" > constraints.txt <<'PY'
import re
import sys

freezes = {}
for path in sys.argv[1:]:
    version = re.search(r"freeze-(\d+\.\d+)\.txt$", path).group(1)
    pins = {}
    for line in open(path):
        if "==" in line and not line.startswith("#"):
            name, pin = line.strip().split("==", 1)
            pins[name.lower()] = (name, pin)
    freezes[version] = pins
versions = sorted(freezes, key=lambda v: tuple(map(int, v.split("."))))
print("# Exact versions the test suite passed with (scripts/refresh_constraints.sh wrote this).")
print("# Install with: pip install -c constraints.txt -e '.[dev,dask,viz,notebooks,ema]'")
print("# Python " + ", ".join(versions) + "; a python_version marker where they differ.")
for key in sorted(set().union(*freezes.values())):
    found = {v: freezes[v][key] for v in versions if key in freezes[v]}
    pins = {pin for _, pin in found.values()}
    name = next(iter(found.values()))[0]
    if len(pins) == 1 and len(found) == len(versions):
        print(f"{name}=={pins.pop()}")
        continue
    for v, (_, pin) in found.items():
        print(f'{name}=={pin} ; python_version == "{v}"')
PY
echo "wrote constraints.txt from ${#freezes[@]} Python versions"
