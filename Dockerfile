# One image for both production entry points; the command chooses:
#   web (default)   npm run web      (needs TEMPORAL_ADDRESS, MONGODB_URI)
#   worker          npm run worker   (also SMTP_URL and PUBLIC_BASE_URL)
# Neither starts embedded services, so the dev stack (stack/, scripts/) stays out.
FROM node:20-bookworm-slim

# npm runs scripts via `sh -c`; Debian's dash stays between npm and the app and
# dies on the forwarded SIGTERM, so `docker stop` never reached the app. bash
# execs the command: SIGTERM reaches tsx, which relays it, and the worker drains.
ENV NODE_ENV=production \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies in their own layer so source edits reuse it. tsx is a runtime
# dependency: the app runs from TypeScript source.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY templates ./templates
COPY public ./public
COPY scripts/bundle-workflows.ts ./scripts/

# The workflow bundle is built here, once, as Temporal advises for production: the worker loads
# it (WORKFLOW_BUNDLE) instead of bundling workflows/ at every start.
RUN npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js

# Files stay root-owned: the app never writes to /app (tsx caches in /tmp).
USER node

EXPOSE 3000

# Liveness of the web tier. The worker serves no HTTP: run it with
# `--no-healthcheck` (compose: `healthcheck: { disable: true }`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["npm", "run", "web"]
