/**
 * Query-string rules shared by every list: which parameters may repeat.
 * @module
 */
import { z } from 'zod';

/**
 * Query parameters that may be given more than once (`?status=paid&status=overpaid`). The server
 * answers 400 for any other parameter given twice, so a route that wants a list says so here, once,
 * on the parameter's schema. A registry of its own (not `.meta()`), so the mark stays out of the
 * OpenAPI document.
 * @example repeatableParameters.add(statusListSchema);
 */
export const repeatableParameters = z.registry();

/**
 * Whether a query parameter's schema takes repeated values: it, or a schema it wraps (`.optional()`,
 * `.default()`), is in {@link repeatableParameters}.
 */
export function isRepeatableParameter(schema: z.ZodType | undefined): boolean {
  let current: unknown = schema;
  while (current instanceof z.ZodType) {
    if (repeatableParameters.has(current)) return true;
    current = (current._zod.def as { innerType?: unknown }).innerType;
  }
  return false;
}
