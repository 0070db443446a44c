import type { CodegenConfig } from '@graphql-codegen/cli';

/** Types the tests' GraphQL operations (test/operations/*.graphql) against the committed schema. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/support/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>', ID: 'string' },
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
};

export default config;
