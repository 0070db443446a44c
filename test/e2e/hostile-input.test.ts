/**
 * Input as an attacker or a careless client sends it: NUL characters, huge and tiny
 * amounts, operations that ask for unbounded work, secrets in the wrong shape.
 * Every one is a 4xx naming what is wrong; none is a 500, none echoes a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.js';
import { poolClient } from '../support/pool.js';
import { openSocket } from '../support/raw-socket.js';
import { clearOfMinuteTurn } from '../support/minute-turn.js';

let t: TestApp;
let token: string;
let pool: ReturnType<typeof poolClient>;
const logLines: string[] = [];

beforeAll(async () => {
  t = await createTestApp({ logLines, config: { logLevel: 'info' } });
  ({ token } = await t.createBrand('Hostile'));
  pool = poolClient(t, token);
});
afterAll(() => t.close());

const NUL = '\u0000';

describe('NUL characters', () => {
  it.each([
    ['key_label', { key_label: `a${NUL}b` }, 'key_label must not contain NUL characters (\\u0000)'],
    ['a credential', { credentials: { api_key: `gsk_${NUL}0123456789` } }, 'credentials.api_key must not contain NUL characters (\\u0000)'],
    ['a field name', { [`key${NUL}label`]: 'x' }, 'a field name must not contain NUL characters (\\u0000)'],
  ])('refuses one in %s on REST with a 400 naming it', async (_case, extra, message) => {
    const res = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_nul_test_0123456789' }, ...extra }, token });
    expect(res).toMatchObject({ status: 400, body: { success: false, error: message } });
  });

  it('refuses one in a lease model and a query parameter', async () => {
    const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'groq', model: `m${NUL}` }, token });
    expect(lease).toMatchObject({ status: 400, body: { error: 'model must not contain NUL characters (\\u0000)' } });
    const list = await t.rest('GET', '/api/v1/integrations?provider_name=gr%00oq', { token });
    expect(list).toMatchObject({ status: 400, body: { error: 'provider_name must not contain NUL characters (\\u0000)' } });
  });

  it('refuses one in GraphQL variables and literals, naming the argument path', async () => {
    const byVariable = await t.gql('mutation ($i: CreateIntegrationInput!) { createIntegration(input: $i) { id } }', { i: { providerName: 'groq', credentials: { api_key: 'gsk_x_0123456789' }, models: ['a', `b${NUL}`] } }, token);
    expect(byVariable.status).toBe(400);
    expect(byVariable.errors?.[0]).toMatchObject({ message: 'i.models[1] must not contain NUL characters (\\u0000)', extensions: { code: 'BAD_USER_INPUT' } });
    const byLiteral = await t.gql(`mutation { leaseKey(input: { providerName: "groq", model: "x\\u0000y" }) { leaseId } }`, {}, token);
    expect(byLiteral.errors?.[0].message).toBe('input.model must not contain NUL characters (\\u0000)');
  });

  it('refuses one in a brand name given by the operator', async () => {
    const res = await t.gql('mutation ($n: String!) { createBrand(input: { name: $n }) { id } }', { n: `Ac${NUL}me` }, t.adminToken);
    expect(res.errors?.[0].message).toBe('n must not contain NUL characters (\\u0000)');
    await expect(t.app.services.brands.createBrand(`Ac${NUL}me`)).rejects.toThrow('name must not contain NUL characters (\\u0000)');
  });
});

describe('error messages never repeat what was sent', () => {
  const secret = 'gsk_live_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz';
  const bifrost = (method: string, path: string, body: unknown) => t.rest(method, `/api/providers${path}`, { body, token });

  it.each([
    ['a key pasted into env_var', () => bifrost('POST', '/groq/keys', { value: { env_var: secret, from_env: true } })],
    ['a key pasted into env_var with its dashes', () => bifrost('POST', '/groq/keys', { value: { env_var: `sk-${secret}`, from_env: true } })],
    ['a key given as an env reference', () => bifrost('POST', '/groq/keys', { value: `env.${secret}` })],
    ['a key as a base provider type', () => bifrost('POST', '', { provider: 'mine', custom_provider_config: { base_provider_type: secret }, network_config: { base_url: 'http://x.test' } })],
    ['a key as a field name', () => t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'groq', credentials: { api_key: 'gsk_echo_0123456789' }, [secret]: 1 }, token })],
    // (The Bifrost dialect ignores unknown fields, as Bifrost does, and counts such a name without repeating it: bifrost-clients.test.ts.)
    ['a key as a key-config field name', () => t.rest('POST', '/api/v1/integrations', {
      body: { provider_name: 'azure', credentials: { api_key: 'azure-echo-0123456789' }, provider_config: { endpoint: 'https://x.test', [secret]: 'x' } }, token,
    })],
    ['a key as a permission', () => t.rest('POST', '/api/v1/integrations', { body: { node_id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', permissions: [secret] }, token })],
  ])('%s', async (_case, send) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it('names no duplicate by what was sent: a node name, a key id, a provider name', async () => {
    expect((await t.rest('POST', '/api/v1/nodes', { body: { name: secret }, token })).status).toBe(201);
    const node = await t.rest('POST', '/api/v1/nodes', { body: { name: secret }, token });
    expect(node.status).toBe(409);
    const key = { id: secret, value: 'gsk_echo_id_0123456789' };
    expect((await bifrost('POST', '/groq/keys', key)).status).toBe(200);
    const id = await bifrost('POST', '/groq/keys', { ...key, value: 'gsk_echo_id_9876543210' });
    expect(id.status).toBe(409);
    const provider = { provider: secret.slice(0, 40), custom_provider_config: { base_provider_type: 'openai' }, network_config: { base_url: 'http://x.test' } };
    expect((await bifrost('POST', '', provider)).status).toBe(200);
    const again = await bifrost('POST', '', provider);
    expect(again.status).toBe(409);
    for (const res of [node, id, again]) expect(JSON.stringify(res.body)).not.toContain(secret.slice(0, 40));
  });
});

describe('amounts', () => {
  it('accepts exponent notation for JSON numbers and keeps the amount exact', async () => {
    const created = await t.rest('POST', '/api/v1/integrations', { body: { provider_name: 'mistral', credentials: { api_key: 'mistral-exponent-0123456789' }, spend_limit_amount: 0.00000001 }, token });
    expect(created.status).toBe(201);
    const id = created.body.integration.id;
    expect((await t.gql(`{ integration(id: ${id}) { spendLimitAmount } }`, {}, token)).data).toEqual({ integration: { spendLimitAmount: '0.00000001' } });
    const lease = await t.rest('POST', '/api/v1/integrations/lease', { body: { provider_name: 'mistral' }, token });
    const report = await t.rest('POST', '/api/v1/integrations/usage', { rawBody: `{"lease_id": "${lease.body.lease.lease_id}", "success": true, "cost_usd": 1e-7}`, token });
    expect(report.status).toBe(200);
    expect((await t.gql(`{ integration(id: ${id}) { spendToday } }`, {}, token)).data).toEqual({ integration: { spendToday: '0.0000001' } });
  });

  it('refuses a cost over 1,000,000 USD per report, and 100 reports of the largest cost still sum exactly', async () => {
    const id = await pool.addKey('cerebras');
    const lease = await pool.leaseOk('cerebras');
    const tooMuch = await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: lease.leaseId, success: true, cost_usd: 1_000_000.5 }, token });
    expect(tooMuch).toMatchObject({ status: 400, body: { error: 'cost_usd must be a non-negative amount in USD of at most 1000000, with at most 12 decimal places' } });
    const statuses = [];
    for (let i = 0; i < 100; i++) {
      const leased = i === 0 ? lease : await pool.leaseOk('cerebras');
      statuses.push((await t.rest('POST', '/api/v1/integrations/usage', { body: { lease_id: leased.leaseId, success: true, cost_usd: 1_000_000 }, token })).status);
    }
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect((await t.gql(`{ integration(id: ${id}) { spendMonth } }`, {}, token)).data).toEqual({ integration: { spendMonth: '100000000' } });
    expect((await pool.report({ leaseId: (await pool.leaseOk('cerebras')).leaseId, success: true, costUsd: '0.000000000001' })).errors).toBeUndefined();
  });
});

describe('GraphQL operation limits', () => {
  // 1 + 100 × (total + items + 15 fields) = 1,701 per page
  const page = '{ total items { id keyId providerName keyLabel isActive isPrimary priority weight healthStatus consecutiveFailures dailyLimit dailyCount minuteLimit minuteCount spendToday } }';

  it('refuses 16 aliases before running anything, naming the limit; 1,000 are refused by the parser already', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: integrations(limit: 100) ${page}`).join(' ')} }`;
    const res = await t.gql(aliases(16), {}, token);
    expect(res.status).toBe(400);
    expect(res.errors?.map((e) => e.message)).toContain('Operation has 16 aliases; at most 15 allowed (KEYPOOL_GRAPHQL_MAX_ALIASES)');
    expect(res.data).toBeUndefined(); // refused in validation: nothing was executed
    const thousand = await t.gql(aliases(1000), {}, token);
    expect(thousand).toMatchObject({ status: 400, errors: [{ message: 'Operation has more than 10000 tokens; at most 10000 allowed (KEYPOOL_GRAPHQL_MAX_TOKENS)' }] });
  });

  it('counts every field, __typename included: its aliases, its root fields, its cost', async () => {
    // Unauthenticated: the limits hold before any token is looked at.
    const huge = `{ ${Array.from({ length: 55_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const refused = await t.gql(huge, {}, null);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]).toMatchObject({ message: 'Operation has more than 10000 tokens; at most 10000 allowed (KEYPOOL_GRAPHQL_MAX_TOKENS)', extensions: { code: 'OPERATION_LIMIT_EXCEEDED' } });
    expect(refused.data).toBeUndefined();
    const aliased = await t.gql(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`, {}, null);
    expect(aliased.status).toBe(400);
    expect(aliased.errors?.map((e) => e.message)).toContain('Operation has 16 aliases; at most 15 allowed (KEYPOOL_GRAPHQL_MAX_ALIASES)');
    const rooted = await t.gql(`{ ${Array.from({ length: 11 }, () => '__typename').join(' ')} }`, {}, null);
    expect(rooted.errors?.map((e) => e.message)).toContain('Operation has 11 root fields; at most 10 allowed (KEYPOOL_GRAPHQL_MAX_ROOT_FIELDS)');
    // Within the tokens, a field count past what the cost estimator walks is refused as over the cost.
    const loose = await createTestApp({ config: { graphqlLimits: { ...t.config.graphqlLimits, maxTokens: 100_000, maxRootFields: 100_000, maxAliases: 100_000 } } });
    try {
      const many = await loose.gql(`{ ${Array.from({ length: 12_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`, {}, null);
      expect(many).toMatchObject({ status: 400, errors: [{ message: 'Operation cost more than 10000 exceeds the limit of 10000 (KEYPOOL_GRAPHQL_MAX_COST): ask for fewer items (limit) or fewer fields' }] });
    } finally {
      await loose.close();
    }
    expect(await t.gql('{ __typename }', {}, null)).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });

  it('refuses too many tokens over the WebSocket too', async () => {
    const socket = await openSocket(t.url, `Bearer ${token}`);
    socket.subscribe('1', `subscription { integrationChanged { kind ${'x '.repeat(10_001)}} }`);
    await expect.poll(() => socket.messages.find((m) => m.type === 'error')).toMatchObject({ payload: [{ message: 'Operation has more than 10000 tokens; at most 10000 allowed (KEYPOOL_GRAPHQL_MAX_TOKENS)' }] });
    socket.ws.close();
  });

  it('counts a list as its limit times its selection', async () => {
    const fits = await t.gql(`{ integrations(limit: 100) ${page} }`, {}, token);
    expect(fits.errors).toBeUndefined();
    const heavy = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: integrations(limit: 100) ${page}`).join(' ')} }`;
    const res = await t.gql(heavy, {}, token);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Operation cost \d+ exceeds the limit of 10000 \(KEYPOOL_GRAPHQL_MAX_COST\)/),
      extensions: { code: 'OPERATION_LIMIT_EXCEEDED' },
    });
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((alias) => `${alias}: integrations(limit: $n) ${page}`).join(' ');
    expect((await t.gql(`query ($n: Int!) { ${six} }`, { n: 5 }, token)).errors).toBeUndefined();
    const byVariable = await t.gql(`query ($n: Int!) { ${six} }`, { n: 100 }, token);
    expect(byVariable.errors?.[0].message).toMatch(/^Operation cost \d+ exceeds the limit/);
  });

  it('counts the cost again when a variable can change it, the same operation text notwithstanding', async () => {
    // A cost is worked out once per operation text unless a variable sets a list's limit (above) or an @include/@skip.
    const five = ['a', 'b', 'c', 'd', 'e'].map((alias) => `${alias}: integrations(limit: 100) ${page}`).join(' ');
    const items = page.replace('items', 'items @include(if: $more)'); // on a field whose own cost reads no argument
    const query = `query ($more: Boolean!) { ${five} f: integrations(limit: 100) ${items} }`;
    expect((await t.gql(query, { more: false }, token)).errors).toBeUndefined();
    expect((await t.gql(query, { more: true }, token)).errors?.[0].message).toMatch(/^Operation cost 10206 exceeds the limit/);
    // A cost no variable changes is refused every time, not only the first.
    const six = `{ ${five} f: integrations(limit: 100) ${page} }`;
    for (let i = 0; i < 2; i++) expect((await t.gql(six, {}, token)).errors?.[0].message).toMatch(/^Operation cost 10206 exceeds the limit/);
  });

  it('refuses deep operations and too many root fields', async () => {
    // keypool's own types nest 4 deep at most; a limit of 2 shows the rule at work.
    const shallow = await createTestApp({ config: { graphqlLimits: { ...t.config.graphqlLimits, maxDepth: 2 } } });
    try {
      const deep = await shallow.gql('{ integrations { items { id } } }', {}, (await shallow.createBrand()).token);
      expect(deep).toMatchObject({ status: 400, errors: [{ message: 'Operation has 3 levels of depth; at most 2 allowed (KEYPOOL_GRAPHQL_MAX_DEPTH)' }] });
    } finally {
      await shallow.close();
    }
    const wide = await t.gql(`{ ${Array.from({ length: 11 }, () => 'providers { name }').join(' ')} }`, {}, token);
    expect(wide.errors?.[0].message).toBe('Operation has 11 root fields; at most 10 allowed (KEYPOOL_GRAPHQL_MAX_ROOT_FIELDS)');
  });

  it('caps leases per operation and returns every lease it granted when one is refused', async () => {
    const id = await pool.addKey('sambanova', { minute_limit: 3 });
    // The minute limit and the counts read below are of one minute.
    await clearOfMinuteTurn();
    const six = `mutation { ${Array.from({ length: 6 }, (_, i) => `l${i}: leaseKey(input: { providerName: "sambanova" }) { leaseId }`).join(' ')} }`;
    const capped = await t.gql(six, {}, token);
    expect(capped).toMatchObject({ status: 400, errors: [{ message: 'Operation asks for 6 leases; at most 5 allowed (KEYPOOL_GRAPHQL_MAX_LEASES)' }] });
    const mixed = await t.gql('mutation { leaseKey(input: { providerName: "sambanova" }) { leaseId } deleteIntegration(id: 999999) { id } }', {}, token);
    expect(mixed.errors?.[0].message).toBe('leaseKey must be the only kind of field in its operation, so that no other failure can discard a granted lease');
    expect((await t.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration.minute_count).toBe(0);

    const five = `mutation { ${Array.from({ length: 5 }, (_, i) => `l${i}: leaseKey(input: { providerName: "sambanova" }) { leaseId }`).join(' ')} }`;
    const res = await t.gql<Record<string, { leaseId: string } | null>, object>(five, {}, token);
    const granted = Object.values(res.data!).filter((lease) => lease !== null);
    expect(granted).toHaveLength(3);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['NO_KEY_AVAILABLE', 'NO_KEY_AVAILABLE']);
    expect((await t.rest('GET', `/api/v1/integrations/${id}`, { token })).body.integration.minute_count).toBe(3);
  });
});

describe('errors never echo input values', () => {
  it('masks variable values in coercion errors, also for callers without a token', async () => {
    const secret = 'sk-or-v1-this-must-never-come-back-123';
    for (const bearer of [token, null]) {
      const res = await t.gql('mutation ($i: CreateIntegrationInput!) { createIntegration(input: $i) { id } }', { i: { providerName: 'openrouter', credentials: { api_key: secret }, dailyLimit: 'lots' } }, bearer);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res)).not.toContain(secret);
      expect(res.errors?.[0].message).toBe('Variable "$i" got invalid value at "i.dailyLimit"; Int cannot represent non-integer value.');
      const wrongShape = await t.gql('mutation ($i: CreateIntegrationInput!) { createIntegration(input: $i) { id } }', { i: { providerName: 'openrouter', credentials: secret } }, bearer);
      expect(JSON.stringify(wrongShape)).not.toContain(secret);
      expect(wrongShape.errors?.[0].message).toBe('Variable "$i" got invalid value at "i.credentials"; JSONObject cannot represent non-object value.');
    }
    const literal = await t.gql(`mutation { createIntegration(input: { providerName: "openrouter", credentials: "${secret}" }) { id } }`, {}, token);
    expect(JSON.stringify(literal)).not.toContain(secret);
  });

  it('logs a failed database statement without its values', async () => {
    logLines.length = 0;
    const err = Object.assign(new Error(`insert into "integration" ("credentials_encrypted") values ('gAAAAAsecretciphertext') - value too long for type character varying(64)`), {
      name: 'DriverException', code: '22001', severity: 'ERROR', table: 'integration', detail: 'Failing row contains (gAAAAAsecretciphertext)',
    });
    t.app.fastify.log.error({ err }, 'unexpected error');
    const line = logLines.join('');
    expect(line).toContain('value too long for type character varying(64)');
    expect(line).toContain('22001');
    expect(line).not.toContain('gAAAAAsecretciphertext');
  });
});

describe('HTTP statuses of GraphQL auth errors', () => {
  it('answers UNAUTHENTICATED with 401 and FORBIDDEN with 403, with the GraphQL body', async () => {
    const anonymous = await t.gql('{ integrations { total } }');
    expect(anonymous).toMatchObject({ status: 401, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(anonymous.errors?.[0].extensions).not.toHaveProperty('http');
    const badToken = await t.gql('{ integrations { total } }', {}, 'not.a.token');
    expect(badToken.status).toBe(401);
    const forbidden = await t.gql('{ brands { id } }', {}, token);
    expect(forbidden).toMatchObject({ status: 403, errors: [{ extensions: { code: 'FORBIDDEN' } }] });
  });
});
