import { z } from 'zod';

/**
 * The `cursor` of a list's query: the `next_cursor` of the previous page, handed back unchanged.
 * Every list of the API pages the same way.
 */
export const pageCursorSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the next_cursor of a previous page')
  .describe('`next_cursor` of the previous page; leave out for the first page. Opaque: do not build one.');
