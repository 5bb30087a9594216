# syntax=docker/dockerfile:1
# kubepoll's own image: the framework plus its example jobs in /app/jobs. A team's jobs get
# an image of their own from the Dockerfile `kubepoll init` writes; this one also runs job
# files mounted from a ConfigMap (`run <job> --jobs /etc/kubepoll/jobs`): their
# `import 'kubepoll'` resolves to /app (src/module-hooks.ts).
#   docker build -t registry.example/kubepoll:0.1.0 .
# test/cli/runtime-image.test.ts replays the runtime stage's COPY and RUN lines in a
# temporary folder (no Docker engine on the build machines), so keep them simple.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY . .
# `npm ci` runs `prepare`, which compiles src/ to dist/.
RUN npm ci --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; no install scripts (prepare needs the dev toolchain).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY jobs ./jobs
# Numeric, so runAsNonRoot can verify it; nothing is written at run time (readOnlyRootFilesystem).
USER 10001:10001
# node directly, not npm: npm does not forward SIGTERM, and kubepoll needs it to end the run cleanly.
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["--help"]
