# One image for every production process; the command chooses (docs/deployment.md):
#   web (default)   node dist/src/web-main.js       (TEMPORAL_ADDRESS, MONGODB_URI, SMTP_URL, secrets)
#   worker          node dist/src/worker-main.js    (also PUBLIC_BASE_URL; health on WORKER_HEALTH_PORT)
#   migration job   node dist/src/migrate-main.js   (once per deployment, before web and worker roll)
# It runs compiled JavaScript, not tsx: the web then starts in about two thirds of the time with
# about 80 MiB less memory (measured, docs/deployment.md), and no transpiler ships. `npm start`,
# `npm run web` and the tests keep running the TypeScript through tsx.
#
# Node 24 LTS (security fixes until 30 April 2028); the tag names the exact release and the digest
# (the multi-arch index: amd64 and arm64) makes every build use the same bytes. Renovate or
# Dependabot (docker ecosystem) moves tag and digest together, here only. `engines` says >= 20.19:
# the development machines and CI run Node 20, the image runs 24, and the code needs nothing newer.
ARG NODE_IMAGE=node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# Compiles the TypeScript and bundles the workflows (Temporal advises a prebuilt bundle in
# production: the worker loads it instead of bundling at every start).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY scripts/bundle-workflows.ts ./scripts/
RUN npm run build

# Runtime dependencies only, in their own stage so a source edit reuses this layer.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# The Temporal core bridge ships native builds for five platforms; only this one's is kept (the
# others and the Rust sources are about 120 MB).
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force \
  && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 \
       ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} + \
  && rm -rf node_modules/@temporalio/core-bridge/sdk-core

FROM ${NODE_IMAGE}
# tini as PID 1: it forwards SIGTERM to node (whose handlers drain the web and the worker) and
# reaps zombies. It is in the image, not `docker run --init`, because Kubernetes has no such flag.
# Node is started directly, never through npm: npm runs scripts via a shell that stayed between it
# and the app and died on the forwarded SIGTERM, so the drain never ran.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY package.json ./
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY templates ./templates
COPY public ./public

# The node user of the base image, by number so Kubernetes' runAsNonRoot can check it. Files stay
# root-owned and the app writes nothing under /app: the root filesystem can be read-only.
USER 1000:1000

# 3000: the web; 3001: the worker's health endpoints (WORKER_HEALTH_PORT).
EXPOSE 3000 3001

# The web's liveness; compose overrides it for the worker (its own /healthz) and the migration job.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/web-main.js"]
