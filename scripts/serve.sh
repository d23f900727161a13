#!/usr/bin/env bash
# Start the background worker, the scheduler, the media gateway, the demo's simulated cameras and the web
# server; stop them all together.
set -euo pipefail
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Accept requests addressed to the host we bind, unless ALLOWED_HOSTS says otherwise.
if [ -z "${ALLOWED_HOSTS:-}" ]; then
  case "$HOST" in
    127.0.0.1|localhost|::1) ;;
    0.0.0.0|::) export ALLOWED_HOSTS="*" ;;
    *) export ALLOWED_HOSTS="$HOST,127.0.0.1,localhost" ;;
  esac
fi

$PY src/manage.py db_worker --queue-name "*" &
WORKER=$!
$PY src/manage.py run_scheduler &
SCHEDULER=$!
$PY src/manage.py media_gateway &
GATEWAY=$!
case "$HOST" in 0.0.0.0|::) SELF=127.0.0.1 ;; *:*) SELF="[$HOST]" ;; *) SELF=$HOST ;; esac
$PY src/manage.py simulate_cameras --api "http://$SELF:$PORT" &
SIMULATOR=$!
trap 'kill $WORKER $SCHEDULER $GATEWAY $SIMULATOR 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  寄递安全监管指挥平台 ParcelWatch is running:  http://$HOST:$PORT/

  Demo accounts (password Demo@2026):
    sysadmin          system administrator
    city_leader       bureau leader (city)
    city_officer      city enforcement officer
    hanjiang_officer  涵江区 safety centre officer
    licheng_officer   荔城区 safety centre officer
    hanjiang_grid     涵江区 grid worker
    zto_safety        safety officer of 莆田市涵江区中通快递有限公司
    police_partner    partner department (莆田市公安局)

  Live video: open 极兔涵江分拨中心 (remote video → cameras): four demo cameras are simulated
  ffmpeg test sources, labelled as such; the others have no feed in the demo and show as offline.

  API docs: http://$HOST:$PORT/api/v1/docs      Stop: Ctrl+C

MSG
.venv/bin/gunicorn parcelwatch.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile - --log-level warning &
WEB=$!
trap 'kill $WORKER $SCHEDULER $GATEWAY $SIMULATOR $WEB 2>/dev/null || true' EXIT INT TERM
# The media gateway and the simulated cameras are not waited for: if either cannot start (its port taken), the
# platform runs on and live video says the gateway is unavailable.
wait -n $WORKER $SCHEDULER $WEB
