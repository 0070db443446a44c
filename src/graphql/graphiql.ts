/**
 * The GraphQL IDE shown when /graphql is opened in a browser: GraphiQL bundled
 * in an npm dependency and inlined into one page, so it works offline.
 */
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/**
 * GraphiQL sends its Headers tab with HTTP requests only, while keypool's
 * subscriptions authenticate in graphql-ws connection_init. This copies the
 * active tab's Authorization header into connection_init.
 */
const CONNECTION_INIT_AUTH = `<script>
(function () {
  var send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      var message = JSON.parse(data);
      if (message && message.type === 'connection_init' && !(message.payload && message.payload.authorization)) {
        var state = JSON.parse(localStorage.getItem('graphiql:tabState') || '{}');
        var tab = (state.tabs || [])[state.activeTabIndex || 0] || {};
        var headers = JSON.parse(tab.headers || '{}');
        var authorization = headers.Authorization || headers.authorization;
        if (authorization) {
          message.payload = Object.assign({}, message.payload, { authorization: authorization });
          data = JSON.stringify(message);
        }
      }
    } catch (e) { /* not a JSON protocol message: send as is */ }
    return send.call(this, data);
  };
})();
</script>`;

let page: string | undefined;

export function graphiqlPage(): string {
  page ??= renderGraphiQL({
    title: 'keypool GraphiQL',
    subscriptionsProtocol: 'WS',
    headers: JSON.stringify({ Authorization: 'Bearer <client token>' }),
    defaultQuery: '# Put your client token in the Headers tab, then run:\n{\n  __typename\n}\n',
  }).replace('<div id="root"></div>', `<div id="root"></div>${CONNECTION_INIT_AUTH}`);
  return page;
}
