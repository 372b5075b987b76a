# One image for every role (DESIGN.md §1): `multinic operator|controller|agent-controller|agent|db|synth`.
# Multi-stage: build with the full toolchain, run from a slim Node 24 base as the non-root `node`
# user (UID 1000, what the constructs' pod security contexts expect). Nothing is written outside
# /tmp at runtime, so pods run with readOnlyRootFilesystem and an emptyDir at /tmp.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY imports ./imports
COPY bin ./bin
# Type declarations and source maps of the runtime dependencies are never read at run time (~40 MB).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
  && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete

FROM ${NODE_IMAGE} AS runtime
# iproute2: the agent's `ip` link/addr/route/rule commands (spec 5.B.5).
# netplan.io: the agent validates netplan files with `netplan generate` before writing them.
# mariadb-client: `mariadb-dump`/`mariadb` for `multinic db backup|restore`.
# iputils-ping: the agent's gateway probe; procps: its `sysctl` reads and writes.
# One image with these few tools is simpler to ship and scan than one image per role.
RUN apt-get update \
  && apt-get install -y --no-install-recommends iproute2 iputils-ping procps netplan.io mariadb-client \
     ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY --from=build /app/bin ./bin
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/multinic.js"]
CMD ["--help"]
