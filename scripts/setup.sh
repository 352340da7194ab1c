#!/usr/bin/env bash
# Prepares this machine for sidekick's tests: a Docker engine that
# answers, a static busybox and tini, tmux, a C compiler for the fixture images, and
# node_modules. Idempotent; when everything is already there it only checks (well
# under a second). Runs as root on Debian 12; there is no systemd, so dockerd is
# started by hand.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/dockerd.log
PING_TIMEOUT_S=60

log() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------

static_busybox_ok() {
  # The toolbox must be static (it runs inside targets with no libc); Debian's
  # plain `busybox` package also installs /bin/busybox, but dynamically linked.
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

static_libc_ok() {
  # gcc -static needs libc.a (libc6-dev); gcc prints a bare name when it has none.
  command -v gcc >/dev/null 2>&1 && [ "$(gcc -print-file-name=libc.a)" != "libc.a" ]
}

apparmor_parser_needed() {
  # dockerd refuses to start containers when the kernel enforces AppArmor but
  # apparmor_parser is missing (it cannot load its docker-default profile).
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || true)" = "Y" ] &&
    ! command -v apparmor_parser >/dev/null 2>&1
}

missing_packages() {
  local pkgs=()
  { command -v dockerd && command -v docker; } >/dev/null 2>&1 || pkgs+=(docker.io)
  static_busybox_ok || pkgs+=(busybox-static)
  # The sidekick's init (a reaping child subreaper, docs/RELIABILITY.md): Debian's tini ships a static build.
  [ -x /usr/bin/tini-static ] || pkgs+=(tini)
  command -v tmux >/dev/null 2>&1 || pkgs+=(tmux)
  # The completion tests load the scripts in the real shells (test/e2e/completion.test.ts).
  command -v zsh >/dev/null 2>&1 || pkgs+=(zsh)
  command -v fish >/dev/null 2>&1 || pkgs+=(fish)
  static_libc_ok || pkgs+=(gcc libc6-dev)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  # inject --os tests build a Debian rootfs from the archive (test/fixtures/debian-rootfs.ts).
  command -v mmdebstrap >/dev/null 2>&1 || pkgs+=(mmdebstrap)
  # The toolbox tests make a musl-dynamic toolbox (test/e2e/toolbox.test.ts).
  command -v musl-gcc >/dev/null 2>&1 || pkgs+=(musl-tools)
  apparmor_parser_needed && pkgs+=(apparmor)
  # ssh:// engine tests run a private sshd on loopback (test/fixtures/ssh-server.ts), and the
  # TLS tests make certificates for a tcp:// engine (test/fixtures/engine-tls.ts).
  { [ -x /usr/sbin/sshd ] && command -v ssh-keygen; } >/dev/null 2>&1 || pkgs+=(openssh-server openssh-client)
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  echo "${pkgs[@]}"
}

install_packages() {
  local pkgs
  pkgs="$(missing_packages)"
  [ -z "$pkgs" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages ($pkgs) and not root: run as root or install them"
  log "installing $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq $pkgs >&2 || die "apt-get install $pkgs failed"
  pkgs="$(missing_packages)"
  [ -z "$pkgs" ] || die "still missing after apt-get install: $pkgs"
}

# --- Docker engine ---------------------------------------------------------

engine_answers() {
  # The local socket with curl is the fast check (~5 ms); with DOCKER_HOST set the
  # engine is elsewhere and only the docker CLI knows how to reach it.
  if [ -z "${DOCKER_HOST:-}" ] && command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$DOCKER_SOCK" http://x/_ping 2>/dev/null || true)" = "OK" ]
  else
    docker info >/dev/null 2>&1
  fi
}

dockerd_pid() {
  local pid
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

start_engine() {
  engine_answers && return 0
  [ -z "${DOCKER_HOST:-}" ] || die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST"
  [ "$(id -u)" = 0 ] || die "no Docker engine answers at $DOCKER_SOCK and not root to start dockerd"
  local pid
  pid="$(dockerd_pid)"
  if [ -n "$pid" ]; then
    log "dockerd ($pid) is running but not answering yet; waiting"
  else
    log "starting dockerd (log: $DOCKERD_LOG)"
    # setsid + nohup: the daemon must outlive this script and its terminal. Neither
    # forks here (a background job is not a group leader), so $! is dockerd itself.
    setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
  fi
  local deadline=$((SECONDS + PING_TIMEOUT_S))
  until engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd exited before answering (see $DOCKERD_LOG)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer on $DOCKER_SOCK within ${PING_TIMEOUT_S}s (see $DOCKERD_LOG)"
    fi
    sleep 0.25
  done
  log "engine is up"
}

# --- node_modules ----------------------------------------------------------

install_node_modules() {
  cd "$ROOT"
  # npm writes node_modules/.package-lock.json last, so it dates the install.
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  fi
}

install_packages
start_engine
install_node_modules
