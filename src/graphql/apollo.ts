/** Apollo Server on Fastify at /graphql (POST and GET), csrfPrevention on. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Services } from '../services.js';
import { authenticateForGraphQL, type GraphQLContext } from './context.js';
import { formatGraphQLError } from './errors.js';
import { checkOperationInput, operationLimitRules, parseOptions, tokenLimitMessage } from './operation-limits.js';
import type { GraphQLLimits } from '../config/config.js';
import { graphiqlPage, prepareGraphiql, serveGraphiql, wantsGraphiql } from './graphiql.js';
import { errorHandler } from '../rest/error-handler.js';
import type { AppError } from '../platform/errors/app-error.js';

/** What fails before Apollo runs (malformed JSON, an oversize or too deeply nested body), in GraphQL's response shape. */
const graphqlErrorBody = (error: AppError) => ({ errors: [{ message: error.message, extensions: { code: error.graphqlCode } }] });

export async function mountApollo(
  fastify: FastifyInstance,
  schema: GraphQLSchema,
  services: Services,
  limits: GraphQLLimits,
): Promise<ApolloServer<GraphQLContext>> {
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    validationRules: operationLimitRules(limits),
    parseOptions: parseOptions(limits),
    formatError: (formatted, error) => {
      const tooLong = tokenLimitMessage(formatted.message, limits);
      if (tooLong) return { message: tooLong, extensions: { code: 'OPERATION_LIMIT_EXCEEDED' } };
      return formatGraphQLError(formatted, error, (e) => fastify.log.error({ err: e }, 'unexpected GraphQL error'));
    },
    plugins: [
      // Nothing here is cacheable by HTTP caches; the default plugin would hook every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      fastifyApolloDrainPlugin(fastify),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ document, request, operationName }) {
              const refusal = checkOperationInput(schema, document, operationName ?? undefined, request.variables, limits);
              if (refusal) throw refusal;
            },
          };
        },
      },
      {
        async serverWillStart() {
          return { renderLandingPage: async () => ({ html: graphiqlPage() }) };
        },
      },
    ],
  });
  await apollo.start();
  void prepareGraphiql();
  const execute = fastifyApolloHandler(apollo, {
    context: async (request) => ({ auth: await authenticateForGraphQL(services, request.headers.authorization, request.ip), services }),
  });
  await fastify.register(async (scope) => {
    scope.setErrorHandler(errorHandler(graphqlErrorBody));
    scope.route({
      url: '/graphql',
      method: ['GET', 'POST', 'OPTIONS'],
      // The IDE page comes compressed ahead of time (@fastify/compress leaves it be); results are compressed per response.
      handler(request, reply) {
        return wantsGraphiql(request) ? serveGraphiql(request, reply) : execute.call(this, request as never, reply as never);
      },
    });
  });
  return apollo;
}
