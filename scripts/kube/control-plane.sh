#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for installing the chart in CI:
# etcd and kube-apiserver built from the Go module proxy (scripts/kube/go.mod), with
# certificates, a service-account key and a static admin token made here.
#
#   scripts/kube/control-plane.sh build          build the binaries when missing (cached)
#   scripts/kube/control-plane.sh start DIR      start both; writes DIR/kubeconfig and DIR/env
#   scripts/kube/control-plane.sh stop DIR       stop both and remove DIR
#
# There is no controller-manager, scheduler or kubelet: the API server admits,
# validates, defaults and stores objects, and nothing acts on them (no Pod runs, no Job
# completes). The binaries are cached in ~/.cache/webhook-relay/kube/<version>, keyed by
# go.sum, so a CI run builds them once (about 5 minutes on 2 cores) and then reuses them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBE_VERSION=v1.37.2
KUBE_MINOR="$(cut -d. -f2 <<<"$KUBE_VERSION")"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/webhook-relay/kube/$KUBE_VERSION-$(sha256sum "$HERE/go.sum" | cut -c1-12)"
export PATH="/usr/local/go/bin:$PATH"

build() {
  if [[ -x "$CACHE/kube-apiserver" && -x "$CACHE/etcd" ]]; then return; fi
  mkdir -p "$CACHE"
  echo "== building etcd and kube-apiserver $KUBE_VERSION (once; cached in $CACHE)"
  (
    cd "$HERE"
    go build -trimpath -o "$CACHE/etcd.tmp" ./etcd
    # helm compares the chart's kubeVersion with what the server reports: give the
    # binary its release version, which a plain go build leaves at v0.0.0.
    go build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$KUBE_MINOR \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      -o "$CACHE/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "$CACHE/etcd.tmp" "$CACHE/etcd"
  mv "$CACHE/kube-apiserver.tmp" "$CACHE/kube-apiserver"
}

# Free loopback ports, held open together so no two are the same.
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

certs() {
  local dir="$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=webhook-relay-ci-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$dir/apiserver.key" -out "$dir/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$dir/apiserver.ext"
  openssl x509 -req -in "$dir/apiserver.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/apiserver.ext" -out "$dir/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
}

start() {
  local dir="$1"
  build
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  certs "$dir"
  local token
  token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  echo "$token,ci-admin,ci-admin,system:masters" >"$dir/tokens.csv"
  read -r etcd_client etcd_peer api_port < <(free_ports 3)

  "$CACHE/etcd" --name ci --data-dir "$dir/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "ci=http://127.0.0.1:$etcd_peer" --log-level warn >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"

  # --endpoint-reconciler-type=none: the API server refuses a loopback advertise
  # address for the kubernetes Service's endpoints otherwise.
  "$CACHE/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_client" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --endpoint-reconciler-type none \
    --tls-cert-file "$dir/apiserver.crt" --tls-private-key-file "$dir/apiserver.key" \
    --client-ca-file "$dir/ca.crt" --token-auth-file "$dir/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 \
    --enable-priority-and-fairness=false --profiling=false \
    >"$dir/kube-apiserver.log" 2>&1 &
  echo $! >"$dir/kube-apiserver.pid"

  local url="https://127.0.0.1:$api_port"
  for _ in $(seq 1 120); do
    if curl -sf --cacert "$dir/ca.crt" -H "Authorization: Bearer $token" "$url/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null; then
      echo "kube-apiserver exited; its log:" >&2; tail -30 "$dir/kube-apiserver.log" >&2; exit 1
    fi
    sleep 0.5
  done
  curl -sf --cacert "$dir/ca.crt" -H "Authorization: Bearer $token" "$url/readyz" >/dev/null || {
    echo "kube-apiserver never became ready; its log:" >&2; tail -30 "$dir/kube-apiserver.log" >&2; exit 1
  }

  cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: ci
    cluster:
      server: $url
      certificate-authority: $dir/ca.crt
users:
  - name: ci-admin
    user:
      token: $token
contexts:
  - name: ci
    context: { cluster: ci, user: ci-admin }
current-context: ci
KUBECONFIG
  printf 'KUBE_URL=%s\nKUBE_TOKEN=%s\nKUBE_CA=%s\nKUBECONFIG=%s\n' "$url" "$token" "$dir/ca.crt" "$dir/kubeconfig" >"$dir/env"
  echo "kube-apiserver $KUBE_VERSION ready at $url (etcd on 127.0.0.1:$etcd_client)"
}

stop() {
  local dir="$1"
  for p in kube-apiserver etcd; do
    if [[ -f "$dir/$p.pid" ]]; then
      local pid
      pid="$(cat "$dir/$p.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?usage: control-plane.sh start DIR}" ;;
  stop) stop "${2:?usage: control-plane.sh stop DIR}" ;;
  *) echo "usage: control-plane.sh build | start DIR | stop DIR" >&2; exit 2 ;;
esac
