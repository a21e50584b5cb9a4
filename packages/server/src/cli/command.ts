import type { Config } from '../config.js';
import type { SecretBox } from '../store/secret-box.js';
import type { Database } from '../store/database.js';

/** What a CLI command gets: the validated configuration, an open and migrated database, and output. */
export interface CommandContext {
  config: Config;
  db: Database;
  /** Seals and opens the secrets the database holds (the server's key). */
  secrets: SecretBox;
  /** Writes one line to standard output (what the command answers). */
  print(line: string): void;
  /** Writes one line to standard error (a note beside the answer); without it, `process.stderr`. */
  warn?(line: string): void;
}

/** One `crypto-checkout-server <group> <name> [--flag value …]` command. */
export interface Command {
  /** e.g. `keys` */
  group: string;
  /** e.g. `create` */
  name: string;
  /** One line for `--help`. */
  summary: string;
  /** Flags it accepts, e.g. `['--mode test|live', '--description <text>']`, for `--help`. */
  usage: string[];
  /** Runs the command; throw an `Error` with a message for the user to fail with exit code 1. */
  run(context: CommandContext, flags: Record<string, string | true>, args: string[]): Promise<void>;
}
