# syntax=docker/dockerfile:1
# The @crypto-checkout/server image: `docker build -t crypto-checkout-server .`, then see compose.yaml
# and docs/deployment.md. The build stage runs scripts/deploy/build-server.sh, the script that
# test/packages/deploy.test.ts runs and whose output it starts, health-checks and inspects, so what
# is untested here is the base image and these few lines.

# The Node major the tests run on (.ci/run prints the version). package.json's engines admit
# ^20.19 || >=22.12; Node 20 is past its end of life (April 2026): build with
# `--build-arg NODE_VERSION=22` (or 24) once your CI runs the tests on it.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# Dependencies first, in a layer of their own that a change of sources does not invalidate.
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/webhooks/package.json packages/webhooks/
COPY packages/server/package.json packages/server/
RUN npm ci --no-audit --no-fund
COPY . .
RUN scripts/deploy/build-server.sh /out --skip-install

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    CC_DATA_DIR=/data/pglite \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
# Owned by root and read-only to the server's user: a compromised process cannot rewrite its own code.
COPY --from=build /out /app
# PGlite's folder and, without CC_ENCRYPTION_KEY, its key file (/data/pglite.key): the state to back up.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
# The liveness route, asked with node itself (slim images have no curl); /ready is for load balancers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 receives SIGTERM itself and shuts down gracefully (shutdown_timeout_ms, default 10 s).
CMD ["node", "node_modules/@crypto-checkout/server/dist/main.js"]
