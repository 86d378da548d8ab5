# tollgate demo image: builds the package and runs `tollgate demo`, serving /metrics on 9464
# (one simulated agent run, then /metrics held open for 5 minutes).
# docker-compose.yml builds it as the `tollgate-demo` service.

FROM node:20-bookworm AS build
WORKDIR /app
# Dependencies first, so editing the source does not re-run npm ci.
# (node:20-bookworm has python3/make/g++ in case better-sqlite3 has to compile.)
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The rest of the context (trimmed by .dockerignore): tsconfig*, src, instrumentations, data.
COPY . .
# `data/` is optional in the source tree; make sure the runtime COPY below always has it.
RUN npm run build && mkdir -p data

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TOLLGATE_HOST=0.0.0.0
WORKDIR /app
# No `npm prune --omit=dev`: the demo may drive the real openai / @anthropic-ai/sdk clients
# (dev dependencies of the package) against its built-in fake providers.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/data ./data
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["demo", "--host", "0.0.0.0", "--port", "9464", "--hold", "300", "--db", "/data/ledger.db"]
