import fp from 'fastify-plugin';
import { HubError, HubErrorCode } from '../../../errors.js';

/**
 * JSON request bodies. Keys that could reach an object's prototype (`__proto__`, and
 * `constructor` holding `prototype`) are refused with a message saying so; fastify's own
 * parser refuses them as "not valid JSON", which sends a client looking for a syntax error.
 * The reviver sees keys decoded, so an escaped `__proto__` is caught too.
 */
export default fp(async (app) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      const text = body as string;
      // The reviver costs a call per value: only bodies that could hold such a key pay it.
      done(null, text === '' ? undefined : MAY_HOLD_PROTOTYPE_KEY.test(text) ? JSON.parse(text, refusePrototypeKeys) : JSON.parse(text));
    } catch (error) {
      done(error instanceof HubError ? error : new HubError(HubErrorCode.InvalidRequest, `invalid body: not valid JSON (${(error as Error).message})`, {
        hint: 'send a JSON document with Content-Type: application/json',
      }), undefined);
    }
  });
}, { name: 'json-body' });

/** `__proto__`, `constructor`, or an escape that could spell either. */
const MAY_HOLD_PROTOTYPE_KEY = /__proto__|constructor|\\u/;

function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)) {
    throw new HubError(HubErrorCode.InvalidRequest, `invalid body: the key "${key === '__proto__' ? '__proto__' : 'constructor.prototype'}" is not accepted`, {
      hint: 'rename the key; it could change the prototype of objects built from the body',
    });
  }
  return value;
}
