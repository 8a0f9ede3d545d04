# syntax=docker/dockerfile:1
# Webhook Relay: one image for every role (api, worker, all, migrate).
# Node 24 runs the .ts sources directly, so there is no build step: the first
# stage only installs production dependencies (with a compiler for native
# addons), the second carries the result without compiler, npm or root.
# The base is pinned by exact version; bump NODE_VERSION deliberately.

FROM node:24.22.3-bookworm-slim AS deps
# Build tools exist only here: native addons (isolated-vm for transforms)
# compile from source when no prebuilt binary matches. tini-static is copied
# into the runtime stage so PID 1 forwards SIGTERM and reaps zombies.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# .dockerignore is an allow-list: manifests, lock file, core, plugins, ui, sql
# and the example workspaces' package.json files (npm ci needs every workspace).
COPY . .
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# What the runtime never reads (docs/deployment.md has the sizes): Monaco's ESM and
# unminified builds (the UI serves min/), isolated-vm's prebuilt addons for other
# platforms and its sources, type declarations, source maps and docs. Licenses stay.
RUN platform="$(node -p 'process.platform + "-" + process.arch')" \
 && rm -rf node_modules/monaco-editor/dev node_modules/monaco-editor/esm node_modules/monaco-editor/min-maps \
           node_modules/isolated-vm/src node_modules/isolated-vm/vendor node_modules/isolated-vm/native-example \
           node_modules/isolated-vm/*.tgz node_modules/@types \
 && find node_modules/isolated-vm/prebuilds -mindepth 1 -maxdepth 1 ! -name "$platform" -exec rm -rf {} + \
 && find . -path '*/node_modules/*' -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
         -o -iname 'readme*' -o -iname 'changelog*' -o -iname 'history.md' \) -delete

FROM node:24.22.3-bookworm-slim AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="webhook-relay" \
      org.opencontainers.image.description="Self-hosted, plugin-based webhook relay: ingest, store, fan out, retry, observe." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/node:24.22.3-bookworm-slim"
# npm, npx, corepack and yarn are never used at run time; removing them takes
# their CVEs out of the image.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=deps /usr/bin/tini-static /usr/bin/tini
WORKDIR /app
# Files stay owned by root: the app user can read but never modify its code,
# which also holds when the root filesystem is not mounted read-only.
COPY --from=deps /app /app
ENV NODE_ENV=production \
    PORT=8080
# uid/gid 1000 is the base image's "node" user; numeric so Kubernetes can
# verify runAsNonRoot without reading /etc/passwd.
USER 1000:1000
# 8080: ingest, API, UI, health. 9464: /metrics (RELAY_METRICS_PORT), for Prometheus only.
EXPOSE 8080 9464
# No HEALTHCHECK: Kubernetes ignores it and uses the chart's probes on
# /healthz and /readyz; the migrate role listens on no port at all.
# No CMD: the role comes from RELAY_ROLE (default all), as with npm start; an argument
# (docker run IMAGE worker, the chart's args) takes precedence.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "app/src/bin/relay.ts"]
