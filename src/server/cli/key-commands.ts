import type { Command } from './command.js';

/** `keys create|list|revoke`: secret API keys. */
export const keyCommands: Command[] = [];
