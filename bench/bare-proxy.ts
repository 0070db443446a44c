/**
 * The gateway benchmark's ceiling, in a process of its own: a forwarding proxy
 * that does only the transport part of the gateway's work — read the request,
 * send it upstream with undici over kept-alive connections, relay the answer
 * (buffered when plain, piped when streamed) — with no authentication, no
 * lease, no report and no database. Whatever a real gateway does costs more.
 * Prints its URL.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: bare-proxy.ts <upstream base URL>');
const agent = new Agent({ keepAliveTimeout: 10_000 });

const server = createServer(async (req, res) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    // The OpenAI-style routes (/v1/…) under the upstream's OpenAI base; Gemini's native ones (/v1beta/…) under its origin.
    const target = req.url!.startsWith('/v1/') ? `${upstream}${req.url!.replace(/^\/v1/, '')}` : `${new URL(upstream).origin}${req.url}`;
    const answer = await request(target, {
      method: 'POST', dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: 'Bearer gsk-bare-proxy', 'x-api-key': 'sk-ant-bare-proxy', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...body, model: String(body.model).split('/').slice(1).join('/') }),
    });
    const type = String(answer.headers['content-type'] ?? 'application/json');
    res.writeHead(answer.statusCode, { 'content-type': type });
    if (type.startsWith('text/event-stream')) {
      pipeline(answer.body, res, () => {});
      return;
    }
    res.end(Buffer.from(await answer.body.arrayBuffer()));
  } catch {
    res.writeHead(502).end();
  }
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`proxy http://127.0.0.1:${address.port}/v1`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
