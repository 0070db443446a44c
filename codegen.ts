import type { CodegenConfig } from '@graphql-codegen/cli';

/** Types the tests' (test/operations/*.graphql) and the dashboard's GraphQL operations against the committed schema. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/support/generated/graphql.ts': {
      documents: ['test/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>', ID: 'string', SafeInt: 'number' },
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
    // The dashboard's operations, as typed strings (no GraphQL parser in the browser bundle).
    'dashboard/src/generated/graphql.ts': {
      documents: ['dashboard/src/operations.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        documentMode: 'string',
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>', ID: 'string', Decimal: 'string', SafeInt: 'number' },
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
};

export default config;
