# Onsale's container image. Every build step is in scripts/package.mjs, which test/package.test.ts also
# runs into a folder and starts with production dependencies only; this file only chooses the bases.
#   docker build -t onsale .
#   docker run -e DATABASE_URL=… -e REDIS_URL=… -e NODE_ENV=production -e JWT_SECRET_FILE=/run/secrets/jwt … onsale
# See docs/deploy.md (Compose, Kubernetes, migrations, rolling restarts).

# Build stage: the dev dependencies (TypeScript, Vite) compile the server and the web app.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/package.mjs /app

# Final stage: the compiled build and its production dependencies, nothing else.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 WEB_DIST_DIR=/app/web/dist
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The image's own user; it owns nothing in /app, so the code cannot be rewritten at run time.
USER node
EXPOSE 3000
# Docker sends SIGTERM on stop; `onsale serve` drains (readiness off, in-flight requests finished, live
# sockets told to reconnect elsewhere) and exits within SHUTDOWN_DRAIN_MS plus limits.shutdownMsMax.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 gets SIGTERM itself (exec form, no shell in between).
CMD ["node", "dist/cli.js", "serve"]
