#!/usr/bin/env bash
# Install the Debian packages ParcelWatch needs when they are missing:
# Chromium (browser tests and screenshots), Noto CJK fonts (Chinese text), Node.js/npm (front-end
# packages), python3.11-venv (the virtualenv, when Debian's python3.11 is there), Pango (PDF documents), ffmpeg
# (the media gateway, camera probes and snapshots) and redis-server (the Redis task backend's tests).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# `grep -q` would stop reading at the first match and, under pipefail, fail the pipeline by the writer's SIGPIPE:
# these checks read all of their input.
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
# Background work on Redis (django-tasks-rq) is tested against a real redis-server.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The virtualenv is made from Debian's python3.11 where there is one (Makefile): venv needs its ensurepip.
if [ "${PYTHON:-}" = /usr/bin/python3.11 ] && ! /usr/bin/python3.11 -c "import ensurepip" >/dev/null 2>&1; then
  missing+=(python3.11-venv)
fi
# WeasyPrint renders official documents (PDF) with Pango.
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0" >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
