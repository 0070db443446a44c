# keypool: the service on Node 20, talking to the PostgreSQL that DATABASE_URL names.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY schema ./schema
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "src/main.ts"]
