# syntax=docker/dockerfile:1.7
#
# Parley: one image for every Node process.
#
#   web (default CMD):  node bin/server.js
#   worker:             node ace.js queue:listen
#   migrations:         node ace.js migration:run --force
#
# The worker and the migration step run this same image with a different
# command (see docker-compose.yml). Configuration comes only from the
# environment (variables listed in .env.example); no .env file is baked in.
#
# Stages:
#   base       node:20-bookworm-slim + the npm major the lockfile/allowScripts expect
#   toolchain  base + python3/make/g++ for native addons (better-sqlite3 via node-gyp)
#   deps       all dependencies (dev included), needed by `node ace build`
#   build      `node ace build` -> /app/build (compiled JS, views, public, package*.json)
#   prod-deps  `npm ci --omit=dev` inside the build output, compiled with the toolchain
#   production slim runtime: build output + production node_modules, non-root, no compilers

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
# package.json uses npm 11's `allowScripts` install-script policy; the npm that
# ships with Node 20 (10.x) ignores it, so pin the npm the project uses.
ARG NPM_VERSION=11.19.1
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
RUN npm install --global "npm@${NPM_VERSION}" && npm cache clean --force
WORKDIR /app

FROM base AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

FROM toolchain AS deps
COPY package.json package-lock.json ./
# --strict-allow-scripts: an install script not approved in package.json's
# allowScripts fails the build instead of running.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --strict-allow-scripts

FROM deps AS build
COPY . .
RUN node ace build

FROM toolchain AS prod-deps
WORKDIR /app/build
COPY --from=build /app/build/package.json /app/build/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --strict-allow-scripts

FROM base AS production
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3333 \
    STORAGE_PATH=/app/storage
WORKDIR /app
# The official image's `node` user (uid 1000) runs the app; only storage/ and
# tmp/ are writable by it, the code is owned by root.
COPY --from=build /app/build ./
COPY --from=prod-deps /app/build/node_modules ./node_modules
RUN mkdir -p storage tmp && chown node:node storage tmp
USER node
EXPOSE 3333
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3333) + '/api/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# Web server. Worker: same image, `node ace.js queue:listen`.
CMD ["node", "bin/server.js"]
