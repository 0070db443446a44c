import { describe, expect, it } from 'vitest';
import { BILLING_PROVIDERS, billingAdapters } from '../../src/modules/spend/index.js';
import { listProviders } from '../../src/modules/providers/index.js';

describe('the provider catalog', () => {
  it('has a billing adapter for exactly the providers it marks as having a billing API', () => {
    const adapters = billingAdapters({ openrouterUrl: 'https://openrouter.example', falUrl: 'https://fal.example' });
    expect([...adapters.keys()].sort()).toEqual([...BILLING_PROVIDERS].sort());
    expect(BILLING_PROVIDERS).toEqual(['openrouter', 'fal_ai']);
  });

  it('labels every credential field as the provider does', () => {
    for (const p of listProviders()) for (const f of p.credentialFields) expect(f.label, `${p.name}.${f.name}`).toMatch(/^[A-Z]/);
    expect(listProviders().find((p) => p.name === 'cloudflare')!.credentialFields.map((f) => f.label)).toEqual(['API token', 'Account ID']);
  });
});
