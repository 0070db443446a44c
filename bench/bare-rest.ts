/**
 * The cycle benchmark's ceiling, in a process of its own: a Fastify server with
 * keypool's two cycle routes (POST /api/v1/integrations/lease and /usage) that
 * parse the JSON body and answer a fixed body — a real lease and a real report
 * answer, captured from keypool — with no authentication, no lease, no report,
 * no database. It measures what the HTTP transport of a cycle costs this load
 * generator and this machine; whatever a real pool does costs more.
 * Usage: bare-rest.ts <file with { lease, usage } answer bodies>. Prints its URL.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (!file) throw new Error('usage: bare-rest.ts <answers.json>');
const answers = JSON.parse(readFileSync(file, 'utf8')) as { lease: unknown; usage: unknown };

const fastify = Fastify({ logger: false });
fastify.post('/api/v1/integrations/lease', async () => answers.lease);
fastify.post('/api/v1/integrations/usage', async () => answers.usage);
const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
console.log(`bare ${url}`);
process.on('SIGTERM', () => void fastify.close().then(() => process.exit(0)));
