# Beckon: one image for every process. Pick it with the command:
#   docker run IMAGE            -> web (port 3000)
#   docker run IMAGE worker | migrate | sim
# The app runs compiled: `npm run build` (tsc) writes dist/, and the image starts
# node dist/main/cli.js, without tsx transpiling at every start (about 45 MB less
# per process and a faster start). src/ stays in the image: the SQL migrations
# and the browser bundles' entries (built by esbuild at web start) are read from it.
# devDependencies (typescript, ava, playwright) are pruned after the build.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# src views scripts asterisk public bin tsconfig*.json (see .dockerignore)
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=3000
# Files stay owned by root: the app user can read but not change its code.
COPY --from=build /app /app
USER node
EXPOSE 3000
# Only `web` serves HTTP: run worker/migrate/sim with --no-healthcheck
# (compose: healthcheck: {disable: true}).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `web` and `worker` refuse to start without SESSION_SECRET (32+ characters: openssl rand -hex 32), and dial only
# INSTALL_COUNTRY unless DIAL_ALLOWED_COUNTRIES says more: pass both with -e or an env file (README "Security model").
ENTRYPOINT ["node", "dist/main/cli.js"]
CMD ["web"]
