#!/usr/bin/env bash
# Mutation testing with gremlins over the internal packages, one at a time,
# the sample plugins built (make mutate). Prints a table of killed, lived,
# not covered, timed out, efficacy and mutant coverage per package, and
# keeps each package's full report (every mutant, with its status) in
# build/mutate/PKG.txt and .json.
set -euo pipefail
gremlins=$1; shift
out=build/mutate
mkdir -p "$out"
printf '| package | killed | lived | not covered | timed out | efficacy | mutant coverage | seconds |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for pkg in "$@"; do
  start=$(date +%s)
  "$gremlins" unleash --workers 2 --timeout-coefficient 5 -o "$out/$pkg.json" "./internal/$pkg" >"$out/$pkg.txt" 2>&1 || true
  secs=$(( $(date +%s) - start ))
  k=$(sed -n 's/^Killed: \([0-9]*\), Lived: \([0-9]*\), Not covered: \([0-9]*\)$/\1 \2 \3/p' "$out/$pkg.txt")
  t=$(sed -n 's/^Timed out: \([0-9]*\),.*/\1/p' "$out/$pkg.txt")
  e=$(sed -n 's/^Test efficacy: \(.*\)$/\1/p' "$out/$pkg.txt")
  c=$(sed -n 's/^Mutator coverage: \(.*\)$/\1/p' "$out/$pkg.txt")
  read -r killed lived uncovered <<<"${k:-? ? ?}"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$pkg" "$killed" "$lived" "$uncovered" "${t:-?}" "${e:-–}" "${c:-–}" "$secs"
done
echo
echo "lived mutants (each needs a test, or a line in docs/testing.md saying why it is equivalent):"
grep -h 'LIVED' "$out"/*.txt | sed 's/^ *//' || true
