#!/bin/sh
# Runs every Fuzz* target of the module for FUZZTIME each (default 60s), one
# after the other, keeps going after a finding, and ends with a table of the
# executions and findings per target. Exits 1 if any target found a failure;
# the failing input is then in that package's testdata/fuzz/<target>/.
set -u
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
log=$(mktemp)
summary=$(mktemp)
trap 'rm -f "$log" "$summary"' EXIT
failed=0
for pkg in $($GO list ./...); do
	for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $f ($FUZZTIME)"
		if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
			result=ok
		else
			result=FAIL
			failed=1
			grep -E -- '--- FAIL|Failing input written to|panic:|    [a-z_]+_test.go:[0-9]+' "$log" | head -20
		fi
		execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		new=$(grep -Eo 'new interesting: [0-9]+' "$log" | tail -1 | cut -d' ' -f3)
		printf '%-48s %-24s %12s %8s  %s\n' "${pkg#github.com/livc/livc-broker/}" "$f" "${execs:-?}" "${new:-?}" "$result" >>"$summary"
	done
done
echo
printf '%-48s %-24s %12s %8s  %s\n' package target executions new-corpus result
cat "$summary"
exit $failed
