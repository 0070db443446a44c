/**
 * The GraphQL IDE shown when /graphql is opened in a browser: GraphiQL bundled
 * in an npm dependency and inlined into one page, so it works offline.
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

let page: string | undefined;

export function graphiqlPage(): string {
  page ??= renderGraphiQL({
    title: 'keypool GraphiQL',
    subscriptionsProtocol: 'WS',
    headers: JSON.stringify({ Authorization: 'Bearer <client token>' }),
    defaultQuery: '# Put your client token in the Headers tab, then run:\n{\n  __typename\n}\n',
  });
  return page;
}
