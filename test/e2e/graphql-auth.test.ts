import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/time/clock.js';
import { BrandsDocument, CreateBrandDocument, IssueClientTokenDocument } from '../support/generated/graphql.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
const clock = new ManualClock('2026-03-01T12:00:00Z');

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t.close());

async function issueToken(expiresInSeconds = 3600) {
  const brand = await t.gql(CreateBrandDocument, { input: { name: 'Acme' } }, t.adminToken);
  const issued = await t.gql(IssueClientTokenDocument, { input: { brandId: brand.data!.createBrand.id, expiresInSeconds } }, t.adminToken);
  return issued.data!.issueClientToken;
}

describe('GraphQL authentication', () => {
  it('answers { __typename } and introspection without a token', async () => {
    expect((await t.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    const introspection = await t.gql('{ __schema { queryType { name } } }');
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('lets the admin token create a brand and issue a client token for it', async () => {
    const brand = await t.gql(CreateBrandDocument, { input: { name: '  Acme  ' } }, t.adminToken);
    expect(brand.errors).toBeUndefined();
    expect(brand.data!.createBrand).toMatchObject({ name: 'Acme', createdAt: '2026-03-01T12:00:00.000Z' });
    const issued = await t.gql(IssueClientTokenDocument, { input: { brandId: brand.data!.createBrand.id, expiresInSeconds: 60 } }, t.adminToken);
    expect(issued.data!.issueClientToken.expiresAt).toBe('2026-03-01T12:01:00.000Z');
    expect(issued.data!.issueClientToken.token.split('.')).toHaveLength(3);
  });

  it('refuses a data field without a token as UNAUTHENTICATED', async () => {
    const res = await t.gql(BrandsDocument);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(/Authorization: Bearer/);
  });

  it.each([
    ['malformed', 'not-a-jwt', /malformed/],
    ['tampered', 'TAMPER', /signature is invalid/],
    ['wrong-secret', 'WRONG_SECRET', /signature is invalid/],
  ])('refuses a %s token as UNAUTHENTICATED', async (_kind, token, message) => {
    let value = token;
    if (token === 'TAMPER') {
      const { token: good } = await issueToken();
      const [h, p, s] = good.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      payload.sub = '00000000-0000-0000-0000-000000000000';
      value = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    }
    if (token === 'WRONG_SECRET') {
      value = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('keypool').setAudience('keypool:client')
        .setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-that-is-long-enough-0000'));
    }
    const res = await t.gql(CreateBrandDocument, { input: { name: 'x' } }, value);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(message);
  });

  it('refuses an expired client token as UNAUTHENTICATED', async () => {
    const { token } = await issueToken(60);
    clock.advance(61_000);
    const res = await t.gql(BrandsDocument, undefined, token);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(/expired/);
  });

  it('refuses admin-only fields to a client token as FORBIDDEN', async () => {
    const { token } = await issueToken();
    const res = await t.gql(CreateBrandDocument, { input: { name: 'sneaky' } }, token);
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.data).toBeNull();
  });

  it('answers bad input with BAD_USER_INPUT and the reason', async () => {
    const res = await t.gql(CreateBrandDocument, { input: { name: '' } }, t.adminToken);
    expect(res.errors?.[0]).toMatchObject({ message: 'name must be 1 to 255 characters', extensions: { code: 'BAD_USER_INPUT' } });
    const token = await t.gql(IssueClientTokenDocument, { input: { brandId: 'nope', expiresInSeconds: 60 } }, t.adminToken);
    expect(token.errors?.[0]).toMatchObject({ message: 'Brand not found', extensions: { code: 'NOT_FOUND' } });
  });
});
