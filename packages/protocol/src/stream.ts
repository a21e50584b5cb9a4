import { z } from 'zod';
import { buyerSessionSchema } from './session.js';
import { sessionStatusSchema } from './status.js';

/**
 * Type of a session event. `session.<status>` when the status changed to `<status>`;
 * `session.updated` when something else changed (a transfer was seen, confirmations grew).
 */
export const sessionEventTypeSchema = z.union([
  z.templateLiteral(['session.', sessionStatusSchema]),
  z.literal('session.updated'),
]);

/** Type of a session event, e.g. `session.paid`. */
export type SessionEventType = z.infer<typeof sessionEventTypeSchema>;

/**
 * One message on `GET /v1/sessions/:id/events` (the SSE `data:` line, JSON). The SSE `id:` is `seq`,
 * which increases by one per event of the session, so `Last-Event-ID` resumes without gaps.
 */
export const sessionEventSchema = z.object({
  seq: z.number().int().min(1),
  type: sessionEventTypeSchema,
  created_at: z.iso.datetime(),
  /** The buyer's view of the session after the change. */
  session: buyerSessionSchema,
});

/** One message on the session's event stream. */
export type SessionEvent = z.infer<typeof sessionEventSchema>;
