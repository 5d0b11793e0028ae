# syntax=docker/dockerfile:1
# Herald's container image (docs/deploy.md, "Container"). From a checkout:
#   docker build -t herald .
#   docker run -d --name herald -p 3000:3000 -v herald-data:/var/lib/herald herald
# One image for every role: `serve` (the default: API, workers and scheduler, embedded SQLite in
# the /var/lib/herald volume), `api` and `worker` (PostgreSQL: deploy/compose.yaml).
# The build stage makes and installs the same package that test/package/package.test.ts packs,
# installs with --omit=dev and runs; the image itself is not built where Herald is developed
# (no Docker engine there): `docker build` is the first to run this file.

ARG NODE_IMAGE=node:24-slim

# Build: dev dependencies (TypeScript, Vite), then `npm pack`, whose prepack runs `npm run build`
# (dist/: the JavaScript and the admin UI), then the tarball installed without dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /tmp \
 && npm install --global --prefix /opt/herald --omit=dev --no-audit --no-fund /tmp/herald-*.tgz

# Run: Node 24 and the installed package, as an unprivileged user, state in a volume.
FROM ${NODE_IMAGE}
RUN groupadd --system --gid 10001 herald \
 && useradd --system --uid 10001 --gid herald --home-dir /var/lib/herald --shell /usr/sbin/nologin herald \
 && mkdir -p /var/lib/herald \
 && chown herald:herald /var/lib/herald
COPY --from=build /opt/herald /opt/herald
ENV PATH=/opt/herald/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/var/lib/herald/herald.db
USER herald
WORKDIR /var/lib/herald
VOLUME ["/var/lib/herald"]
EXPOSE 3000
# Herald stops gracefully on SIGTERM: no new work, deliveries in flight finish (up to
# HERALD_SHUTDOWN_TIMEOUT_MS, 10 s by default), the rest goes back to the queue. Give it longer
# than that before the engine kills it: `docker stop -t 30`, compose `stop_grace_period: 30s`.
STOPSIGNAL SIGTERM
# /healthz on the process's own port: PORT for serve and api, HERALD_METRICS_PORT (else PORT)
# for a worker. The slim image has no curl: Node's fetch asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HERALD_METRICS_PORT||process.env.PORT||3000}/healthz`).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["herald"]
CMD ["serve"]
