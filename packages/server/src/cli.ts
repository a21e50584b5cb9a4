#!/usr/bin/env node
/**
 * The operator's command line, installed as `crypto-checkout-server` (in this repository also
 * `npm run cli --`): `crypto-checkout-server start` runs the backend (as `node dist/main.js` does);
 * `crypto-checkout-server <group> <command> [--flag value …]` runs an operator command, e.g.
 * `crypto-checkout-server keys create --mode live`. It reads the same configuration as the server
 * (CC_CONFIG, environment), opens the same database and applies migrations first. Two commands stand
 * apart: `init` writes a first configuration (there is none to read yet) and `doctor` checks one
 * without changing anything. `--help` lists the commands. Exit codes: 0 done, 1 the command failed
 * (`doctor`: a check failed), 64 bad usage, 78 bad configuration.
 * @module
 */
import { INIT_USAGE, runInit } from './cli/init.js';
import { keyCommands } from './cli/key-commands.js';
import { treasuryCommands } from './cli/treasury-commands.js';
import { parseFlags } from './cli/parse-flags.js';
import { sweepCommand } from './cli/sweep-command.js';
import type { Command } from './cli/command.js';
import { webhookCommands } from './cli/webhook-commands.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './store/database.js';
import { migrate } from './store/migrations.js';
import { loadSecretBox } from './store/secret-box.js';
import { prepareSecretsAtRest } from './store/secrets-at-rest.js';

const COMMANDS: Command[] = [...keyCommands, ...webhookCommands, ...treasuryCommands];

function help(): string {
  const lines = [
    'usage: crypto-checkout-server start                       run the backend',
    '       crypto-checkout-server init [flags]                write a commented configuration and the first key',
    ...INIT_USAGE.map((u) => `             ${u}`),
    '       crypto-checkout-server doctor [--json]             check the configuration against the database, chains, wallet',
    '       crypto-checkout-server sweep [flags]               move received money to the treasury, keyless:',
    ...sweepCommand.usage.map((u) => `             ${u}`),
    '       crypto-checkout-server <group> <command> [flags]   an operator command:',
    '',
  ];
  for (const c of COMMANDS) {
    lines.push(`  ${c.group} ${c.name}  ${c.summary}`);
    for (const u of c.usage) lines.push(`      ${u}`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  // `reconcile` is short for `ledger reconcile`.
  const [group, name, ...rest] = argv[0] === 'reconcile' ? ['ledger', 'reconcile', ...argv.slice(1)] : argv;
  if (group === 'start' && !name) {
    // The backend keeps the process alive; its signal handlers decide the exit code.
    await import('./main.js');
    return 0;
  }
  if (!group || group === '--help' || group === 'help') {
    console.log(help());
    return group ? 0 : 64;
  }
  if (group === 'init') {
    const { flags, args } = parseFlags([name, ...rest].filter((a): a is string => a !== undefined));
    if (args.length) {
      console.error(`init takes no arguments (got ${args.join(' ')})\n\n${help()}`);
      return 64;
    }
    try {
      for (const line of await runInit(flags)) console.log(line);
      return 0;
    } catch (error) {
      console.error(`init: ${(error as Error).message}`);
      return 1;
    }
  }
  if (group === 'doctor') {
    const { flags } = parseFlags([name, ...rest].filter((a): a is string => a !== undefined));
    // Loaded here: doctor's viem clients load all of viem, which `start` must not wait for.
    const { formatCheck, runDoctor } = await import('./cli/doctor.js');
    const report = await runDoctor();
    if (flags.json === true)
      console.log(JSON.stringify({ ok: !report.checks.some((c) => c.status === 'fail'), ...report }));
    else for (const check of report.checks) console.log(formatCheck(check));
    if (report.configInvalid) return 78;
    return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
  }
  // `sweep` is a command of its own, without a sub-command: what follows it are flags.
  const command =
    group === 'sweep' ? sweepCommand : COMMANDS.find((c) => c.group === group && c.name === name);
  if (group === 'sweep') rest.unshift(...(name === undefined ? [] : [name]));
  if (!command) {
    console.error(`unknown command "${[group, name].filter(Boolean).join(' ')}"\n\n${help()}`);
    return 64;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78;
    }
    throw error;
  }
  const db = await openDatabase({ databaseUrl: config.database_url, dataDir: config.data_dir });
  try {
    await migrate(db);
    const { box: secrets, save } = await loadSecretBox(config);
    await prepareSecretsAtRest(db, secrets);
    await save();
    const { flags, args } = parseFlags(rest);
    await command.run({ config, db, secrets, print: (line) => console.log(line) }, flags, args);
    return 0;
  } catch (error) {
    console.error(`${group} ${name}: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

// Files this process writes (a new PGlite folder) are its user's only, as the server's are.
process.umask(0o077);
process.exitCode = await main(process.argv.slice(2));
