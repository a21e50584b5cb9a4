import type { Command } from './command.js';

/** `endpoints create|list|rotate-secret|disable`: webhook endpoints. */
export const webhookCommands: Command[] = [];
