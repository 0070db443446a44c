/**
 * Bifrost is a Go server: a JSON field it does not know is ignored, at any depth. Its clients
 * rely on that (the UI's forms send more than a given server version reads, scripts send back
 * what they read). On this dialect keypool drops the fields it does not know before judging the
 * rest as strictly as ever, and says which it dropped in a response header, so a typo is
 * visible without breaking a client that is merely newer.
 */
import type { FastifyReply } from 'fastify';
import { sayableFieldNames } from '../../platform/input/names.js';
import type { JsonObject } from '../request-fields.js';

/** The fields a body may carry: a nested shape is checked inside, `true` is taken whole (a map, a list, a scalar). */
export interface Shape {
  readonly [field: string]: Shape | true;
}

/** The response header naming the fields a request carried that keypool ignored. */
export const IGNORED_FIELDS_HEADER = 'keypool-ignored-fields';

/** At most this many ignored fields are named; the rest are counted (a name that is not a field name is never repeated). */
const MAX_NAMED = 20;

const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function strip(value: JsonObject, shape: Shape, path: string, ignored: string[]): JsonObject {
  const kept: JsonObject = {};
  for (const [name, v] of Object.entries(value)) {
    const inner = Object.hasOwn(shape, name) ? shape[name] : undefined;
    if (inner === undefined) ignored.push(path === '' ? name : `${path}.${name}`);
    else kept[name] = inner !== true && isPlainObject(v) ? strip(v, inner, path === '' ? name : `${path}.${name}`, ignored) : v;
  }
  return kept;
}

/** The body without the fields `shape` does not know; the reply names them in IGNORED_FIELDS_HEADER. */
export function knownFields(body: JsonObject, shape: Shape, reply: FastifyReply): JsonObject {
  const ignored: string[] = [];
  const kept = strip(body, shape, '', ignored);
  if (ignored.length > 0) {
    const named = ignored.filter((path) => path.split('.').every((part) => sayableFieldNames([part]) === part)).slice(0, MAX_NAMED);
    const more = ignored.length - named.length;
    reply.header(IGNORED_FIELDS_HEADER, [...named, ...(more > 0 ? [`${more} more`] : [])].join(', '));
  }
  return kept;
}
