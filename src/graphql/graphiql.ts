/**
 * The GraphQL IDE shown when /graphql is opened in a browser: GraphiQL bundled
 * in an npm dependency and inlined into one page, so it works offline. The
 * page (9 MB) is compressed once at start and served with an ETag, so a
 * browser downloads ~2 MB once and then revalidates with a 304.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contentSecurityPolicy, scriptHash } from '../platform/http/content-security-policy.js';

/**
 * GraphiQL sends its Headers tab with HTTP requests only, while keypool's
 * subscriptions authenticate in graphql-ws connection_init. This copies the
 * active tab's Authorization header into connection_init.
 *
 * When the server refuses the socket's token (4401, 4403), graphql-ws would
 * retry 4403 again and again while GraphiQL spins. The page shows the reason
 * in a banner and hands the client a 4401, which it treats as final, so the
 * subscription stops with the error. Both are patched on the prototype: the
 * bundle keeps its own reference to the WebSocket class. The banner sits at the
 * bottom, clear of the tabs and editors, and goes away once a query succeeds
 * or a socket is accepted.
 */
const CONNECTION_INIT_AUTH = `<script>
(function () {
  var proto = WebSocket.prototype;
  var send = proto.send;
  proto.send = function (data) {
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
  function showRefusal(reason) {
    var banner = document.getElementById('keypool-auth-error');
    if (!banner) {
      banner = document.createElement('div');
      banner.id = 'keypool-auth-error';
      banner.setAttribute('role', 'alert');
      banner.style.cssText = 'position:fixed;bottom:0;left:0;right:0;z-index:10000;padding:8px 12px;background:#b00020;color:#fff;font:14px sans-serif';
      document.body.appendChild(banner);
    }
    banner.textContent = 'Subscription refused: ' + reason + ' (fix the Authorization header in the Headers tab, then run it again)';
  }
  function clearRefusal() {
    var banner = document.getElementById('keypool-auth-error');
    if (banner) banner.remove();
  }
  var fetchOriginal = window.fetch;
  window.fetch = function () {
    return fetchOriginal.apply(this, arguments).then(function (response) {
      if (response.ok) response.clone().json().then(function (body) { if (body && !body.errors) clearRefusal(); }, function () {});
      return response;
    });
  };
  var onmessage = Object.getOwnPropertyDescriptor(proto, 'onmessage');
  Object.defineProperty(proto, 'onmessage', {
    configurable: true,
    get: function () { return onmessage.get.call(this); },
    set: function (handler) {
      onmessage.set.call(this, typeof handler !== 'function' ? handler : function (event) {
        if (typeof event.data === 'string' && event.data.indexOf('"connection_ack"') >= 0) clearRefusal();
        return handler.call(this, event);
      });
    },
  });
  var onclose = Object.getOwnPropertyDescriptor(proto, 'onclose');
  Object.defineProperty(proto, 'onclose', {
    configurable: true,
    get: function () { return onclose.get.call(this); },
    set: function (handler) {
      onclose.set.call(this, typeof handler !== 'function' ? handler : function (event) {
        if (event.code === 4401 || event.code === 4403) {
          showRefusal(event.reason || 'the token was refused');
          var refused = new CloseEvent('close', { code: 4401, reason: event.reason, wasClean: event.wasClean });
          // GraphiQL prints the error as JSON: an own property carries the reason into it.
          Object.defineProperty(refused, 'message', { value: event.reason || 'the token was refused', enumerable: true });
          event = refused;
        }
        return handler.call(this, event);
      });
    },
  });
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

/** Every inline script of the page, as CSP sources: no other script runs there. */
let scriptSources: string[] | undefined;
const inlineScripts = (html: string) => [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)].map((m) => scriptHash(m[1]));

interface CompressedPage {
  etag: string;
  br: Buffer;
  gzip: Buffer;
  identity: Buffer;
}

let compressed: Promise<CompressedPage> | undefined;

/** Compresses the page once, in the thread pool (seconds of work that must not block requests); start it early. */
export function prepareGraphiql(): Promise<CompressedPage> {
  compressed ??= (async () => {
    const identity = Buffer.from(graphiqlPage());
    const [br, gzipped] = await Promise.all([
      promisify(brotliCompress)(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      promisify(gzip)(identity, { level: 9 }),
    ]);
    return { etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`, br, gzip: gzipped, identity };
  })();
  return compressed;
}

/** A browser opening /graphql: GET, HTML wanted, no operation in the query string. */
export function wantsGraphiql(request: FastifyRequest): boolean {
  if (request.method !== 'GET' || !String(request.headers.accept ?? '').includes('text/html')) return false;
  return !(request.query as Record<string, unknown> | undefined)?.query;
}

/** Serves the IDE in the best encoding the browser accepts, or 304 when it holds this version. */
export async function serveGraphiql(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const page = await prepareGraphiql();
  scriptSources ??= inlineScripts(graphiqlPage());
  reply.header('etag', page.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
  reply.header('content-security-policy', contentSecurityPolicy(request.headers.host, { scriptSources, workers: true })).header('referrer-policy', 'no-referrer');
  if (request.headers['if-none-match'] === page.etag) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : null;
  reply.type('text/html; charset=utf-8');
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(encoding ? page[encoding] : page.identity);
}
