#!/bin/sh
# Installs the Debian 12 packages SQLPilot needs; does nothing when all are there.
set -e
PKGS="build-essential postgresql-15 postgresql-server-dev-15 libpq-dev libreadline-dev
libcjson-dev libopenblas-dev libopenblas0-serial libcurl4-openssl-dev
python3-torch python3-numpy libipc-run-perl tmux valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
