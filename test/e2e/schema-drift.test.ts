import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKeypoolSchema, printSortedSchema } from '../../src/graphql/schema.js';

describe('schema/schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema:emit` after changing a resolver)', async () => {
    const built = printSortedSchema(await buildKeypoolSchema());
    expect(readFileSync('schema/schema.graphql', 'utf8')).toBe(built);
  });
});
