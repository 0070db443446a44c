/**
 * createTestApp(): a real keypool on a real PostgreSQL database of its own,
 * listening on a free port, with an injectable clock and typed clients.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config/config.js';
import { ManualClock, systemClock, type Clock } from '../../src/platform/time/clock.js';
import { testConfig, TEST_ADMIN_TOKEN } from './config.js';
import { createTestDatabase, dropTestDatabase } from './databases.js';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestApp {
  app: App;
  url: string;
  clock: Clock;
  config: Config;
  databaseUrl: string;
  adminToken: string;
  gql<TResult, TVars>(doc: TypedDocumentNode<TResult, TVars> | string, variables?: TVars, token?: string | null): Promise<GraphQLResponse<TResult>>;
  rest<T = any>(method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> }): Promise<RestResponse<T>>;
  /** A new brand and a client token for it. */
  createBrand(name?: string): Promise<{ brandId: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: ManualClock | Clock;
  /** The pool's random source (the weighted draw): fix it to make picks repeatable. */
  random?: () => number;
  config?: Partial<Config>;
  databaseUrl?: string;
  /** Collects every log line (at the config's level) into this array. */
  logLines?: string[];
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = options.clock ?? systemClock;
  const ownDatabase = !options.databaseUrl;
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = testConfig({ ...options.config, databaseUrl });
  const logger = options.logLines
    ? { stream: new Writable({ write: (chunk, _enc, done) => (options.logLines!.push(String(chunk)), done()) }) }
    : (false as const);
  const app = await createApp({ config, clock, random: options.random, databaseUrl, logger, warmDashboard: false });
  const url = await app.listen();

  const gql: TestApp['gql'] = async (doc, variables, token) => {
    const query = typeof doc === 'string' ? doc : print(doc);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as GraphQLResponse<any>;
    return { ...body, status: res.status };
  };

  const rest: TestApp['rest'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: leave the text for the assertion to show
    }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };

  return {
    app,
    url,
    clock,
    config,
    databaseUrl,
    adminToken: TEST_ADMIN_TOKEN,
    gql,
    rest,
    async createBrand(name = 'Test brand') {
      const brand = await app.services.brands.createBrand(name);
      const { token } = await app.services.brands.issueClientToken(brand.id, 3600 * 24 * 365);
      return { brandId: brand.id, token };
    },
    async close() {
      await app.close();
      if (ownDatabase) await dropTestDatabase(databaseUrl);
    },
  };
}

/** Another instance of `first`'s deployment: its database and its secrets (tokens and ciphertexts of one are good on the other). */
export function createPeerApp(first: TestApp, options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({
    ...options,
    databaseUrl: first.databaseUrl,
    config: { jwtSecrets: first.config.jwtSecrets, encryptionKeys: first.config.encryptionKeys, ...options.config },
  });
}

/** Two instances of one deployment on one clock, and a brand on them (the pool's two-instance tests). */
export interface TwoInstances {
  a: TestApp;
  b: TestApp;
  token: string;
  /** Closes both, the peer first. */
  close(): Promise<void>;
}

export async function startTwoInstances(brandName: string, clock: ManualClock): Promise<TwoInstances> {
  const a = await createTestApp({ clock });
  const b = await createPeerApp(a, { clock });
  const { token } = await a.createBrand(brandName);
  return { a, b, token, close: async () => { await b.close(); await a.close(); } };
}

/** A node credential as an HTTP Basic authorization (api_key:secret). */
export const basicAuth = (c: { api_key: string; secret: string }) => `Basic ${Buffer.from(`${c.api_key}:${c.secret}`).toString('base64')}`;
