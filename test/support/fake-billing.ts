/**
 * Local stand-ins for the providers' billing APIs, speaking their documented
 * JSON: OpenRouter `GET /api/v1/key` (Bearer key) and fal.ai
 * `GET /v1/account/billing?expand=credits` (`Key <key>`). Each key's answer is
 * set by the test; every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
  | { status: number; body?: unknown; raw?: string; headers?: Record<string, string> }
  | { delayMs: number; status: number; body?: unknown };

export interface FakeBilling {
  url: string;
  /** Every request: path and the key it carried. */
  requests: { path: string; key: string }[];
  /** What the server answers for a key (default: 404). */
  answer(key: string, answer: FakeAnswer): void;
  close(): Promise<void>;
}

export async function startFakeBilling(scheme: 'Bearer' | 'Key'): Promise<FakeBilling> {
  const answers = new Map<string, FakeAnswer>();
  const requests: { path: string; key: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith(`${scheme} `) ? auth.slice(scheme.length + 1) : '';
    requests.push({ path: req.url ?? '', key });
    const answer = answers.get(key) ?? { status: 404, body: { error: { message: 'no such key' } } };
    const send = () => {
      if (res.destroyed) return;
      const headers = { 'content-type': 'application/json', ...('headers' in answer ? answer.headers : {}) };
      res.writeHead(answer.status, headers);
      res.end('raw' in answer && answer.raw !== undefined ? answer.raw : JSON.stringify(answer.body ?? {}));
    };
    if ('delayMs' in answer) setTimeout(send, answer.delayMs).unref();
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (key, answer) => void answers.set(key, answer),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** OpenRouter's documented `GET /api/v1/key` answer. */
export const openRouterKey = (d: { limit: number | null; limit_remaining: number | null; usage_daily: number; usage_monthly: number }) => ({
  status: 200,
  body: { data: { label: 'sk-or-v1-abc...xyz', limit: d.limit, limit_remaining: d.limit_remaining, limit_reset: null, usage: d.usage_monthly, usage_daily: d.usage_daily, usage_weekly: d.usage_daily, usage_monthly: d.usage_monthly, is_free_tier: false } },
});
