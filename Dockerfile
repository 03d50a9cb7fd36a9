# Verge edge node image.
#   docker build -t verge .
#   docker run --rm -p 8080:8080 -v "$PWD/deploy:/etc/verge:ro" verge
# The config is read from /etc/verge/verge.yaml; it must set `listen.host: 0.0.0.0` (the default,
# 127.0.0.1, is unreachable from outside the container). Function `code` paths resolve against the
# config file's directory; the example functions are in /app/edge-functions.
FROM node:24-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so that code changes do not invalidate this layer. --omit=optional skips the
# node-linux-* packages: they provide Node 24 to npm scripts on developer machines, and this image's
# node is already 24. isolated-vm ships prebuilt binaries for linux x64/arm64 (glibc), so no
# compiler is needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
    && npm cache clean --force

# TypeScript runs as is (Node 24 strips types); there is no build step.
COPY src/ src/
COPY bin/ bin/
COPY examples/ examples/
COPY edge-functions/ edge-functions/

# Files stay owned by root and read-only for the server.
USER node
EXPOSE 8080

# --no-node-snapshot here (isolated-vm needs it) keeps node as PID 1 instead of bin/verge.js
# re-executing itself, so `docker stop` (SIGTERM) reaches the server, which drains in-flight
# requests for up to 30 s: give it that long with `docker stop -t 35`.
ENTRYPOINT ["node", "--no-node-snapshot", "bin/verge.js"]
CMD ["serve", "--config", "/etc/verge/verge.yaml"]
