#!/bin/sh
# voipbin-harness nightly check from cron (issue 12 item 5): one run of
# `voipbin-harness check --history`, the history kept in one folder, each night's report kept beside
# it (index.html and the Allure HTML report; `latest` points at the newest), the exit code of check
# passed on so that cron (or whatever runs this) sees a failure on new findings.
#
#   crontab -e
#   17 2 * * * /path/to/voipbin-harness/examples/nightly/nightly.sh
#
# cron mails what a job prints (set MAILTO): this script prints nothing on a pass and one line
# otherwise. Everything check printed goes to $NIGHTLY_DIR/logs/<stamp>.log (secrets masked).
#
# Settings, from the environment or from $NIGHTLY_DIR/env (sourced; keep it `chmod 600`, it holds
# the credentials: VOIPBIN_TARGET, VOIPBIN_USERNAME, VOIPBIN_PASSWORD, VOIPBIN_ACCESSKEY, ...
# exactly as the README's "Environment variables" table names them):
#   NIGHTLY_DIR         where the history, reports and logs live (default $HOME/voipbin-nightly)
#   NIGHTLY_KEEP        how many nightly reports to keep (default 30; the history keeps every run)
#   VOIPBIN_HARNESS     the voipbin-harness command (default: the repository's .venv/bin/voipbin-harness)
#   VOIPBIN_CHECK_ARGS  more check options, e.g. "--baseline /etc/voipbin/my-gateway.json"
# Any argument given to this script is passed on to check as well.
#
# Exit code: check's (0 pass, 1 new findings or a regression, 2 the run could not be completed),
# or 2 when another nightly run still holds the lock.

set -u
umask 077  # reports and logs are for this user only

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
NIGHTLY_DIR=${NIGHTLY_DIR:-"$HOME/voipbin-nightly"}
mkdir -p "$NIGHTLY_DIR/history" "$NIGHTLY_DIR/reports" "$NIGHTLY_DIR/logs"
if [ -r "$NIGHTLY_DIR/env" ]; then
    set -a
    . "$NIGHTLY_DIR/env"
    set +a
fi
NIGHTLY_KEEP=${NIGHTLY_KEEP:-30}
VOIPBIN_HARNESS=${VOIPBIN_HARNESS:-"$repo/.venv/bin/voipbin-harness"}

# one run at a time: the history is one sequence (mkdir is atomic)
lock="$NIGHTLY_DIR/.lock"
if ! mkdir "$lock" 2>/dev/null; then
    echo "voipbin nightly: another run holds $lock (remove it if no run is going on)" >&2
    exit 2
fi
trap 'rmdir "$lock"' EXIT
trap 'exit 130' INT TERM

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$NIGHTLY_DIR/reports/$stamp"
log="$NIGHTLY_DIR/logs/$stamp.log"
cd "$repo" || exit 2
# shellcheck disable=SC2086  # VOIPBIN_CHECK_ARGS is a list of options
"$VOIPBIN_HARNESS" check --history "$NIGHTLY_DIR/history" --report-dir "$report" ${VOIPBIN_CHECK_ARGS:-} "$@" \
    >"$log" 2>&1
code=$?
ln -sfn "$report" "$NIGHTLY_DIR/reports/latest"

# keep the last $NIGHTLY_KEEP reports and logs (the history folder is small and kept whole)
for folder in reports logs; do
    ls -1 "$NIGHTLY_DIR/$folder" | grep '^[0-9]\{8\}T' | sort -r | tail -n +"$((NIGHTLY_KEEP + 1))" |
        while read -r old; do rm -rf "${NIGHTLY_DIR:?}/$folder/$old"; done
done

case $code in
    0) ;;
    1) echo "voipbin nightly: new findings or a regression (exit 1): $report/index.html" >&2 ;;
    *) echo "voipbin nightly: the check could not be completed (exit $code): see $log" >&2 ;;
esac
exit "$code"
