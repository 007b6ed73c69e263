# The image `lightning export compose|kubernetes` refers to:
#   docker build -t lightning:$(node -p "require('./package.json').version") .
# (the exports refer to lightning:<version> unless given --image).
# It runs the CLI: `lightning up` (the default command) or `lightning worker --agent NAME ...`.
# (The npm package is lightning-fleet; the command it installs, here and everywhere, is lightning.)

# Build stage: every dependency, compile TypeScript and bundle it (dist-bundle/), then drop the dev
# dependencies — all but the TypeScript compiler, which TypeScript agents use, are in the bundle.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the bundled CLI, daemon and worker, the seed agents and their prompts.
FROM node:20-slim
ENV NODE_ENV=production \
    LIGHTNING_HOME=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist-bundle ./dist-bundle
COPY package.json agents.yaml ./
COPY bin ./bin
COPY templates ./templates
# `lightning` on PATH for `docker compose exec lightning lightning status`; /data is the writable
# state (ledger, workspaces), owned by the image's non-root user so named volumes inherit it.
RUN ln -s /app/bin/lightning.js /usr/local/bin/lightning \
 && mkdir -p /data/workspaces \
 && chown -R node:node /data
USER node
EXPOSE 9000
ENTRYPOINT ["node", "/app/bin/lightning.js"]
CMD ["up"]
