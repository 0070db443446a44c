import { spawn } from 'node:child_process';
import { createBrandToken, startServer } from './support.js';
const kind = process.argv[2] ?? 'rest';
const server = await startServer();
const tokens: string[] = [];
for (let b = 0; b < 20; b++) {
  const token = await createBrandToken(server, `p-${b}`); tokens.push(token);
  for (const p of ['groq', 'mistral', 'cerebras']) for (let n = 0; n < 4; n++) await fetch(`${server.url}/api/v1/integrations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ provider_name: p, credentials: { api_key: `${p}-d-${b}-${n}-0123456789` }, minute_limit: 100000, daily_limit: 10000000, spend_limit_amount: 1000000000, spend_limit_period: 'monthly', spend_limit_action: 'warn' }) });
}
const job = { urls: [server.url], tokens, providers: ['groq', 'mistral', 'cerebras'], kind, seconds: 8, clients: 48 };
const run = () => new Promise<string>((res) => { const c = spawn(process.execPath, ['--import', 'tsx', 'bench/scale-generator.ts', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] }); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('exit', () => res(o)); });
const outs = await Promise.all([run(), run()]);
console.log(outs.map((o) => JSON.parse(o).units));
await server.stop();
