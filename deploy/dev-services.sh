#!/usr/bin/env bash
# Installs (where missing) and starts what `npm run test:services` and the simulators need on a Debian
# machine: PostgreSQL (trust auth on 127.0.0.1, a `test` database), Mosquitto, RabbitMQ (binaries only: the
# RabbitMQ service tests start their own node, cloud/test/ingest/rabbitmq-node.ts), InfluxDB 1.x, socat,
# tshark, chromium, poppler-utils (PDF checks), docker-compose (the compose files' check), mbpoll and
# pymodbus (independent Modbus master and slave for the Modbus tests). Idempotent: a service already
# listening is left alone. Needs root (or sudo).
set -euo pipefail

log() { printf '[dev-services] %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port name seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if listening "$1"; then return 0; fi
    sleep 0.1
  done
  log "$2 is not listening on port $1 after $3 s"
  return 1
}

# ---- packages ---------------------------------------------------------------------------------
# command → Debian package
declare -A NEED=(
  [psql]=postgresql
  [pg_ctlcluster]=postgresql
  [mosquitto]=mosquitto
  [mosquitto_passwd]=mosquitto
  [mosquitto_sub]=mosquitto-clients
  [rabbitmq-server]=rabbitmq-server
  [influxd]=influxdb
  [socat]=socat
  [tshark]=tshark
  [chromium]=chromium
  [pdftotext]=poppler-utils
  [pdftoppm]=poppler-utils
  [mbpoll]=mbpoll
  # `docker compose config` over deploy/'s compose files (journeys/test/deploy-examples.test.ts).
  [docker-compose]=docker-compose
)
missing=()
for cmd in "${!NEED[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then missing+=("${NEED[$cmd]}"); fi
done
# pymodbus is a Python module, not a command; Debian installs it for /usr/bin/python3.
# Its serial server needs pyserial and pyserial-asyncio, which Debian's package only recommends.
has_pymodbus() { /usr/bin/python3 -c 'import pymodbus, serial, serial_asyncio' >/dev/null 2>&1; }
if ! has_pymodbus; then missing+=(python3-pymodbus python3-serial python3-serial-asyncio); fi
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing: ${missing[*]}"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  # -o DPkg::Lock::Timeout: another apt on the machine finishes first instead of failing us.
  $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
else
  log "packages present"
fi

# ---- PostgreSQL --------------------------------------------------------------------------------
if listening 5432; then
  log "PostgreSQL already listening on 5432"
else
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  if [ -z "$version" ]; then
    log "no PostgreSQL cluster under /etc/postgresql"
    exit 1
  fi
  if ! [ -d "/etc/postgresql/$version/main" ]; then
    $SUDO pg_createcluster "$version" main
  fi
  log "starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432 PostgreSQL 30
fi
# Trust auth on 127.0.0.1 for the test suites (a development/CI machine, never production).
if ! psql -h 127.0.0.1 -U postgres -d postgres -w -tAc 'select 1' >/dev/null 2>&1; then
  hba="$($SUDO -u postgres psql -tAc 'show hba_file' 2>/dev/null || su postgres -c "psql -tAc 'show hba_file'")"
  log "enabling trust auth for 127.0.0.1 in $hba"
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  $SUDO -u postgres psql -tAc 'select pg_reload_conf()' >/dev/null 2>&1 || su postgres -c "psql -tAc 'select pg_reload_conf()'" >/dev/null
  sleep 0.5
fi
if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "select 1 from pg_database where datname = 'test'")" != "1" ]; then
  log "creating database test"
  psql -h 127.0.0.1 -U postgres -d postgres -w -qc 'create database test'
fi
log "PostgreSQL ready: postgres://postgres@127.0.0.1:5432/test"

# ---- Mosquitto (the system broker on 1883; the service tests start their own on ephemeral ports) --
if listening 1883; then
  log "an MQTT broker is already listening on 1883"
else
  log "starting Mosquitto"
  $SUDO mkdir -p /run/mosquitto /var/log/mosquitto
  if id mosquitto >/dev/null 2>&1; then $SUDO chown mosquitto /run/mosquitto /var/log/mosquitto; fi
  $SUDO mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883 Mosquitto 10 || log "continuing: the service tests start their own Mosquitto"
fi

# ---- InfluxDB 1.x (system instance on 8086; the service tests start their own) ------------------
if listening 8086; then
  log "InfluxDB already listening on 8086"
else
  log "starting InfluxDB"
  $SUDO mkdir -p /var/log/influxdb /var/lib/influxdb
  if id influxdb >/dev/null 2>&1; then $SUDO chown influxdb /var/log/influxdb /var/lib/influxdb; fi
  $SUDO sh -c 'nohup influxd -config /etc/influxdb/influxdb.conf >>/var/log/influxdb/influxd.log 2>&1 &'
  wait_port 8086 InfluxDB 30 || log "continuing: the service tests start their own influxd"
fi

for cmd in socat tshark chromium influxd mosquitto mosquitto_passwd mbpoll; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || {
    log "missing after install: $cmd"
    exit 1
  }
done
has_pymodbus || {
  log "missing after install: the pymodbus, serial and serial_asyncio modules of /usr/bin/python3"
  exit 1
}
log "done"
