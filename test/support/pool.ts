/** Shortcuts for pool tests: add keys over REST, lease and report over GraphQL. */
import {
  LeaseKeyDocument, ReportKeyUsageDocument, UpdateIntegrationDocument, type ReportKeyUsageInput, type UpdateIntegrationInput,
} from './generated/graphql.js';
import type { TestApp } from './harness.js';

let counter = 0;

export function poolClient(t: TestApp, token: string) {
  return {
    async addKey(provider: string, settings: Record<string, unknown> = {}): Promise<number> {
      counter++;
      const res = await t.rest('POST', '/api/v1/integrations', {
        body: { provider_name: provider, credentials: { api_key: `${provider}-secret-${counter}-0123456789` }, ...settings },
        token,
      });
      if (res.status !== 201) throw new Error(`addKey failed: ${JSON.stringify(res.body)}`);
      return res.body.integration.id;
    },
    lease(providerName: string, model?: string) {
      return t.gql(LeaseKeyDocument, { input: { providerName, model } }, token);
    },
    async leaseOk(providerName: string, model?: string) {
      const res = await t.gql(LeaseKeyDocument, { input: { providerName, model } }, token);
      if (!res.data?.leaseKey) throw new Error(`lease failed: ${JSON.stringify(res.errors)}`);
      return res.data.leaseKey;
    },
    report(input: ReportKeyUsageInput) {
      return t.gql(ReportKeyUsageDocument, { input }, token);
    },
    async update(id: number, input: UpdateIntegrationInput) {
      const res = await t.gql(UpdateIntegrationDocument, { id, input }, token);
      if (!res.data) throw new Error(`update failed: ${JSON.stringify(res.errors)}`);
      return res.data.updateIntegration;
    },
    async patch(id: number, body: Record<string, unknown>) {
      return t.rest('PATCH', `/api/v1/integrations/${id}`, { body, token });
    },
  };
}
