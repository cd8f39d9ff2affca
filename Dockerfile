# One image for api and worker; the compose file picks the entry point.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
COPY apps ./apps
RUN npm install
COPY . .
RUN npx tsc -b tsconfig.build.json && npx vite build --config apps/web/vite.config.mts && node scripts/build-viewer.mjs

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production WEB_DIST=/app/apps/web/dist
COPY --from=build /app /app
EXPOSE 3000
CMD ["node", "apps/api/dist/main.js"]
