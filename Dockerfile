# Tally for production: NATS (JetStream) and MongoDB run elsewhere (NATS_URL, MONGODB_URL), so the
# image carries no nats-server, FerretDB or Go toolchain. Multi-stage: production dependencies are
# installed in the first stage (install scripts off: the postinstall only builds the local dev
# services); the runtime stage has no npm cache, no dev dependencies and runs as the `node` user.
# Build: docker build -t tally .   Run: see compose.yaml.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3001 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json streams.config.ts ./
COPY bin ./bin
COPY scripts ./scripts
COPY http ./http
COPY ingest ./ingest
COPY processors ./processors
COPY projections ./projections
COPY api ./api
COPY mail ./mail
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Roles: --role all (default), or ingest / api / processor in separate containers to scale out.
ENTRYPOINT ["node", "bin/tally.mjs", "start"]
