# syntax=docker/dockerfile:1
# The controller image: `docker build -t managed-flink-operator:0.1.0 .`
# Not built in this repository's CI (no container engine there); test/unit/install/dockerfile.test.ts lints it.

# Node 22 is an LTS line (supported until April 2027); pin a patch release (and a digest, in your registry mirror) for builds
# that must reproduce.
ARG NODE_IMAGE=node:22.21-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
# Production dependencies only: no TypeScript, vitest or biome in the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
# The `node` user of the official images, by number: Kubernetes can only verify runAsNonRoot against a
# numeric USER. Files stay owned by root, so the process cannot rewrite its own code.
USER 1000:1000
EXPOSE 8080
CMD ["node", "dist/controller/main.js"]
