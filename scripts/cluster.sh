#!/usr/bin/env bash
# A production-like topology on one machine (docs/operations.md "A cluster on
# one machine"), from Debian packages:
#   - PostgreSQL primary + streaming replica, synchronous: a commit is
#     acknowledged only once the replica has it (synchronous_commit = on);
#   - two Visage instances whose database URL names both servers with
#     target_session_attrs=read-write, so after a failover they reconnect to
#     whichever one is the primary;
#   - HAProxy in front, health-checking each instance's /readyz.
#
#   scripts/cluster.sh start [DIR]      bring it up (default DIR target/cluster); prints the addresses
#   scripts/cluster.sh stop [DIR]       stop everything (DIR is kept; start again needs a new or empty DIR)
#   scripts/cluster.sh status [DIR]     HAProxy's view of each instance, and which server is primary
#   scripts/cluster.sh kill N [DIR]     kill -9 instance N (1 or 2)
#   scripts/cluster.sh restart N [DIR]  start instance N again
#   scripts/cluster.sh failover [DIR]   stop the primary (immediate) and promote the replica
#   scripts/cluster.sh cut-replica [DIR]  cut the replica off the primary (as a network partition
#                                       would): it falls behind; with synchronous replication the
#                                       primary's commits wait for it instead
#   scripts/cluster.sh visage [DIR] -- ARGS…   run a visage command against the cluster's database
# VISAGE_BIN picks the binary (default target/release/visage, built when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?start|stop|status|kill N|restart N|cut-replica|failover|visage}
shift
N=""
if [ "$cmd" = kill ] || [ "$cmd" = restart ]; then N=${1:?instance 1 or 2}; shift; fi
DIR=$ROOT/target/cluster
if [ $# -gt 0 ] && [ "$1" != -- ]; then DIR=$1; shift; fi
[ "${1:-}" = -- ] && shift
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Seconds to wait, polling every 0.1 s, for a command to succeed.
wait_for() {
  local tries=$(($1 * 10)); shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
load_env() { [ -f "$DIR/cluster.env" ] || { echo "no cluster in $DIR (scripts/cluster.sh start $DIR)" >&2; exit 1; }; . "$DIR/cluster.env"; }
BIN=${VISAGE_BIN:-$ROOT/target/release/visage}
BIN=$(realpath -m "$BIN")

# HAProxy's status of server $1 (UP, DOWN, …).
lb_status() { curl -s "http://127.0.0.1:$STATS_PORT/stats;csv" | awk -F, -v s="v$1" '$1=="instances" && $2==s {print $18}'; }
lb_is() { [ "$(lb_status "$1")" = "$2" ]; }

start_instance() {
  local n=$1
  (cd "$ROOT" && exec "$BIN" --data-dir "$DIR/v$n" serve >"$DIR/v$n.log" 2>&1) &
  echo $! >"$DIR/v$n.pid"
}

stop_pid() {
  local f=$1 sig=${2:-TERM}
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$f"
}

primary_of() {
  local p
  for p in "$PG1_PORT" "$PG2_PORT"; do
    if [ "$(psql -qtAX "postgres://postgres@127.0.0.1:$p/postgres" -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
      echo "$p"; return
    fi
  done
}

case $cmd in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is missing (scripts/setup.sh --test installs it)" >&2; exit 1; }
    command -v haproxy >/dev/null || { echo "HAProxy is missing (scripts/setup.sh --test installs it)" >&2; exit 1; }
    [ -e "$DIR/cluster.env" ] && { echo "$DIR already holds a cluster: stop it and remove the folder first" >&2; exit 1; }
    if [ ! -x "$BIN" ]; then (cd "$ROOT" && cargo build --locked --release --quiet --bin visage); fi
    PG1_PORT=$(free_port); PG2_PORT=$(free_port); V1_PORT=$(free_port); V2_PORT=$(free_port)
    M1_PORT=$(free_port); M2_PORT=$(free_port); LB_PORT=$(free_port); STATS_PORT=$(free_port)
    cat >"$DIR/cluster.env" <<EOF
PG1_PORT=$PG1_PORT
PG2_PORT=$PG2_PORT
V1_PORT=$V1_PORT
V2_PORT=$V2_PORT
M1_PORT=$M1_PORT
M2_PORT=$M2_PORT
LB_PORT=$LB_PORT
STATS_PORT=$STATS_PORT
ISSUER=http://localhost:$LB_PORT
DATABASE_URL=postgres://postgres@127.0.0.1:$PG1_PORT,127.0.0.1:$PG2_PORT/visage?target_session_attrs=read-write
EOF
    . "$DIR/cluster.env"
    mkdir -p "$DIR/pg" && chmod 0755 "$DIR" && [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg"

    echo "==> PostgreSQL primary on 127.0.0.1:$PG1_PORT"
    as_pg "$PGBIN/initdb" -D "$DIR/pg/1" -U postgres -A trust >/dev/null
    # CLUSTER_SYNCHRONOUS=off: asynchronous replication (a failover can lose
    # what the primary acknowledged last; scripts/faults.sh shows it).
    SYNC_STANDBY=replica
    [ "${CLUSTER_SYNCHRONOUS:-on}" = off ] && SYNC_STANDBY="''"
    # Only the primary waits for the replica: a promoted replica has no
    # standby of its own and must not wait for one.
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/1" -l "$DIR/pg/1.log" -w -o "-p $PG1_PORT -k $DIR/pg \
      -c listen_addresses=127.0.0.1 -c max_connections=200 -c wal_level=replica \
      -c synchronous_commit=on -c synchronous_standby_names=$SYNC_STANDBY" start >/dev/null
    echo "==> PostgreSQL replica on 127.0.0.1:$PG2_PORT (streaming, synchronous)"
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG1_PORT" -U postgres -D "$DIR/pg/2" -R -X stream
    echo "primary_conninfo = 'host=127.0.0.1 port=$PG1_PORT user=postgres application_name=replica'" |
      as_pg tee -a "$DIR/pg/2/postgresql.auto.conf" >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/2" -l "$DIR/pg/2.log" -w -o "-p $PG2_PORT -k $DIR/pg \
      -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    want=sync; [ "$SYNC_STANDBY" = replica ] || want=async
    wait_for 30 bash -c "[ \"\$(psql -qtAX postgres://postgres@127.0.0.1:$PG1_PORT/postgres -c \"SELECT sync_state FROM pg_stat_replication WHERE application_name = 'replica'\")\" = $want ]" ||
      { echo "the replica did not start streaming ($want)" >&2; exit 1; }
    psql -q "postgres://postgres@127.0.0.1:$PG1_PORT/postgres" -c "CREATE DATABASE visage"

    for n in 1 2; do
      mkdir -p "$DIR/v$n"
      port_var="V${n}_PORT"; metrics_var="M${n}_PORT"
      cat >"$DIR/v$n/visage.toml" <<EOF
issuer = "$ISSUER"
database_url = "$DATABASE_URL"
listen = "127.0.0.1:${!port_var}"

[server]
metrics_listen = "127.0.0.1:${!metrics_var}"
# HAProxy names the client in X-Forwarded-For.
trusted_proxies = ["127.0.0.1"]
EOF
    done
    # Instances of one deployment share the master key: the first command
    # makes it (and the schema), the second instance gets a copy.
    (cd "$ROOT" && "$BIN" --data-dir "$DIR/v1" migrate >/dev/null)
    install -m 0600 "$DIR/v1/master.key" "$DIR/v2/master.key"
    for n in 1 2; do start_instance $n; done

    cat >"$DIR/haproxy.cfg" <<EOF
global
  maxconn 4096
  pidfile $DIR/haproxy.pid

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout check 2s
  # A request that reached no instance (refused, reset before it was sent)
  # goes to the other one: a crashed instance costs clients nothing more
  # than the requests it was answering.
  retries 3
  option redispatch 1
  retry-on conn-failure
  default-server inter 250ms fall 2 rise 2

frontend visage
  bind 127.0.0.1:$LB_PORT
  option forwardfor
  default_backend instances

backend instances
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz
  http-check expect status 200
  server v1 127.0.0.1:$V1_PORT check
  server v2 127.0.0.1:$V2_PORT check

listen stats
  bind 127.0.0.1:$STATS_PORT
  stats enable
  stats uri /stats
EOF
    haproxy -c -q -f "$DIR/haproxy.cfg"
    haproxy -D -f "$DIR/haproxy.cfg"
    echo "==> Visage instances on 127.0.0.1:$V1_PORT and 127.0.0.1:$V2_PORT, HAProxy on 127.0.0.1:$LB_PORT"
    wait_for 60 lb_is 1 UP && wait_for 60 lb_is 2 UP ||
      { echo "the instances did not become ready; their logs: $DIR/v1.log $DIR/v2.log" >&2; exit 1; }
    cat <<EOF
cluster up in $DIR
  issuer (HAProxy)   $ISSUER
  instances          http://127.0.0.1:$V1_PORT  http://127.0.0.1:$V2_PORT   (metrics on :$M1_PORT, :$M2_PORT)
  HAProxy stats      http://127.0.0.1:$STATS_PORT/stats
  database           $DATABASE_URL
  commands           scripts/cluster.sh visage $DIR -- client add …  (the instances' config: $DIR/v1/visage.toml)
EOF
    ;;
  stop)
    [ -f "$DIR/cluster.env" ] || exit 0
    . "$DIR/cluster.env"
    stop_pid "$DIR/haproxy.pid"
    for n in 1 2; do stop_pid "$DIR/v$n.pid"; done
    for n in 1 2; do
      [ -d "$DIR/pg/$n" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/$n" -m fast stop >/dev/null 2>&1 || true
    done
    ;;
  status)
    load_env
    echo "v1 $(lb_status 1)  v2 $(lb_status 2)  primary: 127.0.0.1:$(primary_of)"
    ;;
  kill)
    load_env
    stop_pid "$DIR/v$N.pid" KILL
    ;;
  restart)
    load_env
    start_instance "$N"
    ;;
  cut-replica)
    load_env
    psql -qtAX "postgres://postgres@127.0.0.1:$PG2_PORT/postgres" \
      -c "ALTER SYSTEM SET primary_conninfo = ''" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
  failover)
    load_env
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/1" -m immediate stop >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/2" -w promote >/dev/null
    echo "primary: 127.0.0.1:$(primary_of)"
    ;;
  visage)
    load_env
    cd "$ROOT" && exec "$BIN" --data-dir "$DIR/v1" "$@"
    ;;
  *)
    echo "unknown command '$cmd'" >&2; exit 2
    ;;
esac
