#!/bin/sh
# verify-plugins.sh DIR [VERIFY FLAGS...]: verify every plugin under DIR with
# plugctl, for any CI. Installs plugctl with go install when it is not on
# PATH, writes JUnit and SARIF reports to $PLUGCTL_REPORTS (default
# plugctl-reports), and exits with plugctl's status: 0 all passed, 1 a
# plugin failed, crashed or timed out (or none was found), 2 a usage error.
set -eu

if [ $# -lt 1 ]; then
  echo "usage: verify-plugins.sh DIR [VERIFY FLAGS...]" >&2
  exit 2
fi
dir=$1
shift
reports=${PLUGCTL_REPORTS:-plugctl-reports}

if ! command -v plugctl >/dev/null 2>&1; then
  go install "github.com/plugctl/plugctl/cmd/plugctl@${PLUGCTL_VERSION:-latest}"
  PATH=$(go env GOPATH)/bin:$PATH
fi

mkdir -p "$reports"
status=0
plugctl verify --recursive \
  --report junit="$reports/plugctl.xml" --report sarif="$reports/plugctl.sarif" \
  "$@" "$dir" || status=$?
echo "verify-plugins.sh: exit status $status; reports in $reports/plugctl.xml and $reports/plugctl.sarif" >&2
exit "$status"
