/**
 * The answer for a webhook endpoint or event asked for by id with a secret key: the same rule as for
 * sessions (`routes/auth-hooks.ts`). Nothing with that id: 404. One of the other mode: 403, since the
 * key is valid and the merchant, who holds the keys of both modes, learns nothing new.
 * @module
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { ModeScope } from './webhook-store.js';

/**
 * `record` if the caller's mode reaches it; throws 404 when there is none, 403 when it is of the
 * other mode. Look the record up in every mode (scope `null`) and pass it here.
 * @example const endpoint = inMode(await store.getEndpoint(tx, id, null), mode, `webhook endpoint ${id}`);
 */
export function inMode<T extends { livemode: boolean }>(record: T | null, mode: ModeScope, what: string): T {
  if (!record) throw new NotFoundError(`no ${what}`);
  if (mode !== null && record.livemode !== mode) {
    const its = record.livemode ? 'live' : 'test';
    throw new ForbiddenError(`${what} is in ${its} mode; use a ${its} secret key`);
  }
  return record;
}
