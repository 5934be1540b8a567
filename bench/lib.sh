# Shared by the bench scripts (sourced, not run).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL: until the URL answers (5 s at most).
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; return 1; }

# nginx_config FILE DIR PORT ROOT WORKERS: an nginx configuration like netlab's defaults (sendfile,
# and a 1 s open-file cache, as netlab keeps resolved paths and small files for 1 s), its pid
# and error log in DIR.
nginx_config() {
  cat >"$1" <<CONF
worker_processes $5;
daemon off;
pid $2/nginx.pid;
error_log $2/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000 inactive=20s;
  open_file_cache_valid 1s;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$3; root $4; }
}
CONF
}
