#!/bin/sh
# check-upload.sh UPLOAD REPORTS [VERIFY FLAGS...]: check one upload's
# plugins as a plugin registry would: every plugin under UPLOAD, sandboxed
# (where plugctl cannot confine them, none runs), with limits on time and
# memory. Writes REPORTS/report.json and REPORTS/report.sarif, and exits
# with plugctl's status: 0 every plugin passed and drew no warning, 1 one
# did not (or none was found, or the sandbox is missing), 2 a usage error.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: check-upload.sh UPLOAD REPORTS [VERIFY FLAGS...]" >&2
  exit 2
fi
upload=$1
reports=$2
shift 2

mkdir -p "$reports"
status=0
plugctl verify --sandbox --strict --recursive --timeout 10s --memory-limit 3GiB \
  --format json --report sarif="$reports/report.sarif" \
  "$@" "$upload" >"$reports/report.json" || status=$?
echo "check-upload.sh: $upload: exit status $status" >&2
exit "$status"
