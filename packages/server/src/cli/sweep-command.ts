/**
 * `crypto-checkout-server sweep`: moving received money to the treasury, keyless.
 *   sweep                      dry run: per chain, what would be swept (address, asset, balance)
 *                              and, in forwarder mode, the batches and their gas estimates
 *   sweep --execute            forwarder mode: send the sweeps now with the relayer key
 *   sweep --export <file>      xpub mode: unsigned EIP-1559 transactions for the merchant's wallet,
 *                              recorded as `exported` sweeps that the xpub sweep watch books once
 *                              signed and mined (earlier exports found on chain are booked first);
 *                              forwarder mode: a Safe Transaction Builder batch for the treasury Safe;
 *                              Bitcoin/Litecoin: one unsigned PSBT (base64) of every deposit coin;
 *                              TRON: unsigned TRON transactions (TRX top-ups, then USDT and TRX
 *                              sweeps to treasury_address), in the order to sign and broadcast,
 *                              recorded so that the next export leaves their addresses out until
 *                              the watch sees them on chain or expired (`--replace`: export them
 *                              again, superseding the earlier transactions)
 * `--chain <key>` picks one chain (required with --export when several are configured); `--to
 * <address>` is the destination in xpub mode (default: the chain's treasury_address); `--json`
 * prints the plan as JSON. Ledger entries and sweep webhooks go through the CLI's ledger
 * (cli-treasury.ts): the running server delivers them.
 */
import { writeFileSync } from 'node:fs';
import type { Address, PublicClient } from 'viem';
import type { buildMethodRegistry } from '../chain/registry.js';
import type { ChainConfig } from '../config.js';
import type { Command, CommandContext } from './command.js';
import { table } from './table.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function chainsOf(context: CommandContext, flags: Record<string, string | true>): ChainConfig[] {
  const chains = context.config.chains.filter((c) => flags.chain === undefined || c.key === flags.chain);
  if (!chains.length) throw new Error(`no configured chain "${String(flags.chain)}"`);
  return chains;
}

/** `sweep`: dry run, `--execute` or `--export` (see the module comment). */
export const sweepCommand: Command = {
  group: 'sweep',
  name: '',
  summary: 'show what would be swept to the treasury (dry run), sweep it, or export it unsigned',
  usage: [
    '(no flag) dry run: balances to sweep and gas estimates',
    '--execute  forwarder mode: send the sweeps with treasury.relayer_key',
    '--export <file>  xpub mode: unsigned EIP-1559 transactions; forwarder mode: a Safe Transaction Builder file',
    '--chain <key>  --to <address> (xpub mode; default the chain treasury_address; Bitcoin/Litecoin: default a fresh treasury address m/…/1/i)  --json',
    'Bitcoin/Litecoin: --export <file> writes one PSBT (base64) of every confirmed deposit coin to --to;',
    "  --fee-rate <sat/vB> (default the node's estimate)  --key-origin [fingerprint/84'/0'/0'] (your seed's)",
    'TRON: --export <file> writes unsigned TRON transactions to treasury_address (TRX top-ups first, in signing order);',
    '  --energy-price <sun> (default 100)  --fee-limit <sun> (default 30000000)  --expires-in <hours> (default 12, at most 24)',
    '  an address stays out of later exports until its transactions are on chain or expired;',
    '  --replace exports it again (the earlier file must not be broadcast: it stays valid until it expires)',
  ],
  async run(context, flags) {
    const { buildPricing } = await import('../rates/build-pricing.js');
    const pricing = buildPricing(context.config);
    try {
      await sweep(context, flags, pricing.pricer);
    } finally {
      await pricing.close();
    }
  },
};

/** The work of {@link sweepCommand}; `pricer` only builds the method registry the ledger needs. */
async function sweep(
  context: CommandContext,
  flags: Record<string, string | true>,
  pricer: Parameters<typeof buildMethodRegistry>[1],
): Promise<void> {
  const { print, config, db } = context;
  // A sweep sent or found from here writes its ledger entries and webhooks as the server's would;
  // the server delivers them.
  const { cliTreasury } = await import('./cli-treasury.js');
  const { ledger, onSweepChange } = cliTreasury(context, pricer);
  const { createForwarderSweeper } = await import('../treasury/sweeper-clients.js');
  const chains = chainsOf(context, flags);
  if (typeof flags.export === 'string' && chains.length !== 1)
    throw new Error('--export writes one chain: give --chain <key>');
  for (const chain of chains) {
    if (chain.deposit_mode === 'forwarder') {
      const sweeper = createForwarderSweeper({
        chain,
        db,
        ledger,
        relayerKey: config.treasury.relayer_key,
        onSweepChange,
      });
      if (flags.execute === true) {
        if (!config.treasury.relayer_key)
          throw new Error('--execute needs the relayer key: set treasury.relayer_key or CC_RELAYER_KEY');
        const sent = await sweeper.runOnce(
          new Set([...chain.tokens.map((t) => t.symbol), chain.native?.symbol ?? 'ETH']),
        );
        print(
          `${chain.key}: ${sent.length} sweep transaction(s) sent${sent.length ? `: ${sent.join(', ')}` : ''}`,
        );
        continue;
      }
      const plan = await sweeper.plan();
      if (typeof flags.export === 'string') {
        const { safeBatchFile } = await import('../treasury/safe-transaction-builder.js');
        const { encodeSweep } = await import('../treasury/forwarder-factory.js');
        if (!plan.factoryDeployed)
          throw new Error(
            `no ForwarderFactory at ${plan.factory} on ${chain.key} yet: run sweep --execute once, or deploy it`,
          );
        const file = safeBatchFile({
          chainId: chain.id,
          safe: plan.treasury,
          name: `Sweep ${chain.key} deposits`,
          description: `crypto-checkout: ${plan.batches.reduce((n, b) => n + b.deposits.length, 0)} deposit addresses to ${plan.treasury}`,
          transactions: plan.batches.map((b) => ({
            to: plan.factory,
            value: 0n,
            data: encodeSweep({
              factory: plan.factory,
              treasury: plan.treasury,
              indexes: b.deposits.map((d) => d.derivation_index),
              tokens: b.token_address ? [b.token_address] : [],
            }),
          })),
        });
        writeFileSync(flags.export, `${JSON.stringify(file, null, 2)}\n`);
        print(
          `${chain.key}: wrote ${file.transactions.length} transaction(s) to ${flags.export} (Safe Transaction Builder)`,
        );
        continue;
      }
      if (flags.json === true) {
        print(JSON.stringify(plan, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        continue;
      }
      print(
        `${chain.key} (forwarder mode, factory ${plan.factory}${plan.factoryDeployed ? '' : ' — not deployed yet, the first sweep deploys it'}) → ${plan.treasury}`,
      );
      for (const s of plan.skipped) print(`  ${s.token_symbol} skipped: ${s.reason}`);
      for (const line of table([
        ['asset', 'deposits', 'total (atomic)', 'gas estimate', 'gas per deposit'],
        ...plan.batches.map((b) => [
          b.token_symbol,
          String(b.deposits.length),
          b.deposits.reduce((a, d) => a + d.balance, 0n).toString(),
          b.gas?.toString() ?? '?',
          b.gas ? String(b.gas / BigInt(b.deposits.length)) : '?',
        ]),
      ]))
        print(line);
      continue;
    }
    if (chain.family === 'utxo') {
      await exportUtxoSweep(context, chain, flags);
      continue;
    }
    if (chain.family === 'tron') {
      await exportTronSweep(context, chain, flags);
      continue;
    }
    // xpub mode
    const to = (typeof flags.to === 'string' ? flags.to : chain.treasury_address) as Address | undefined;
    if (!to || !ADDRESS.test(to))
      throw new Error(`${chain.key}: give --to <address> (the wallet that receives the sweep)`);
    if (flags.execute === true)
      throw new Error(`${chain.key} is in xpub mode: the server holds no key; use --export`);
    const { buildXpubSweepExport, exportRecords } = await import('../treasury/xpub-sweep-export.js');
    const { parseXpub } = await import('../chain/evm/derive-address.js');
    const { SweepStore } = await import('../store/sweep-store.js');
    const store = new SweepStore(db, { onChange: onSweepChange });
    const client = await readClient(chain);
    if (typeof flags.export === 'string') {
      // What earlier exports became on chain is booked first, so that a new export replaces only
      // transactions that were never signed.
      const { createXpubSweepWatch } = await import('../treasury/xpub-sweep-watch.js');
      // Not needed for the new file (its nonces come after any used one): a node that cannot answer
      // (old state on a full node) leaves them to the server's watch.
      const found = await createXpubSweepWatch({ chain, store, ledger, client })
        .syncOnce()
        .catch((error: unknown) => {
          print(
            `${chain.key}: earlier exports not checked on chain (${(error as Error).message.split('\n')[0]}); the server's watch books them`,
          );
          return null;
        });
      if (found && (found.confirmed || found.failed || found.reviews || found.dropped))
        print(
          `${chain.key}: earlier exports found on chain: ${found.confirmed} confirmed, ${found.failed} failed, ${found.reviews} for review, ${found.dropped} dropped`,
        );
    }
    const file = await buildXpubSweepExport({
      chain,
      store,
      client,
      xpub: parseXpub(chain.xpub ?? config.xpub),
      to,
    });
    if (typeof flags.export === 'string') {
      // Recorded before the file exists: a file the merchant can sign is always one the watch knows.
      await store.recordExport(chain.id, exportRecords(file), file.block_number);
      writeFileSync(flags.export, `${JSON.stringify(file, null, 2)}\n`);
      print(`${chain.key}: wrote ${file.transactions.length} unsigned transaction(s) to ${flags.export}`);
    } else if (flags.json === true) print(JSON.stringify(file));
    else
      for (const line of table([
        ['from', 'index', 'asset', 'amount (atomic)', 'gas'],
        ...file.transactions.map((t) => [
          t.from,
          String(t.derivation_index),
          t.asset,
          t.amount_atomic,
          t.tx.gas,
        ]),
      ]))
        print(line);
    for (const n of file.needs_gas)
      print(
        `  ${n.address} (index ${n.derivation_index}) holds tokens but needs ${n.needs_wei} wei for gas first`,
      );
  }
}

/**
 * A Bitcoin-like chain: the dry run prints the coins, the fee and the PSBT; `--export` writes the
 * PSBT (base64) to the file. `--fee-rate` in sat/vB, `--key-origin` the account's
 * `[fingerprint/path]` under the merchant's seed (as Sparrow or `getdescriptorinfo` show it).
 */
async function exportUtxoSweep(
  context: CommandContext,
  chain: ChainConfig,
  flags: Record<string, string | true>,
): Promise<void> {
  const { print } = context;
  if (flags.execute === true)
    throw new Error(`${chain.key} is a ${chain.family} chain: the server holds no key; use --export`);
  // A dry run over every chain notes what this chain needs instead of stopping the others.
  const survey = typeof flags.export !== 'string' && flags.chain === undefined;
  // Without --to the sweep goes to a fresh treasury address of the same seed (m/…/1/i), which the
  // sweep watch books as a move into the treasury; any other destination waits for review.
  const to = typeof flags.to === 'string' ? flags.to : undefined;
  const { buildUtxoSweepPsbt, parseKeyOrigin, UtxoSweepError } =
    await import('../treasury/utxo-sweep-psbt.js');
  const { nodeRpc } = await import('../chain/utxo/node-rpc.js');
  if (!chain.rpc_url) throw new Error(`${chain.key}: no rpc_url for the node`);
  const feeRate = typeof flags['fee-rate'] === 'string' ? Number(flags['fee-rate']) : undefined;
  let result;
  try {
    result = await buildUtxoSweepPsbt({
      chain,
      db: context.db,
      rpc: nodeRpc(chain.rpc_url),
      to,
      // Only an export reserves its coins (and takes a treasury address); a dry run changes nothing.
      ...(typeof flags.export === 'string' ? {} : { reserveMs: 0 }),
      ...(feeRate !== undefined ? { feeRate } : {}),
      ...(typeof flags['key-origin'] === 'string' ? { keyOrigin: parseKeyOrigin(flags['key-origin']) } : {}),
    });
  } catch (error) {
    if (survey && error instanceof UtxoSweepError) return print(error.message);
    throw error;
  }
  if (flags.json === true) {
    print(JSON.stringify(result));
    return;
  }
  if (typeof flags.export === 'string') writeFileSync(flags.export, `${result.psbt}\n`);
  for (const line of table([
    ['address', 'index', 'coin', 'amount (atomic)'],
    ...result.inputs.map((c) => [
      c.address,
      String(c.derivation_index),
      `${c.txid}:${c.vout}`,
      c.amount_atomic,
    ]),
  ]))
    print(line);
  print(
    `${chain.key}: ${result.inputs.length} coin(s), ${result.total_atomic} in, fee ${result.fee_atomic} (${result.fee_rate_sat_vb} sat/vB × ${result.estimated_vsize} vB), ${result.output_atomic} to ${result.to}${result.to_treasury_index === null ? ' (not a treasury address: the sweep will wait for review)' : ` (treasury m/…/1/${result.to_treasury_index})`}`,
  );
  print(
    typeof flags.export === 'string'
      ? `${chain.key}: wrote the PSBT to ${flags.export}: sign it in your wallet (key origin [${result.key_origin.fingerprint}/${result.key_origin.path.replace(/^m\/?/, '')}]) and broadcast`
      : result.psbt,
  );
}

/**
 * A TRON chain: the dry run prints what would move; `--export` writes the unsigned TRON transactions
 * (top-ups from the treasury, then the sweeps) to the file, in the order to sign and broadcast.
 * `--energy-price <sun>` (default 100), `--fee-limit <sun>` (default 30 TRX), `--expires-in <hours>`
 * (default 12, at most 24).
 */
async function exportTronSweep(
  context: CommandContext,
  chain: ChainConfig,
  flags: Record<string, string | true>,
): Promise<void> {
  const { print, config } = context;
  if (flags.execute === true)
    throw new Error(`${chain.key} is a TRON chain: the server holds no key; use --export`);
  if (typeof flags.to === 'string' && flags.to !== chain.treasury_address)
    throw new Error(
      `${chain.key}: a TRON sweep goes to treasury_address; set it in the configuration, not with --to`,
    );
  if (!chain.http_api_url)
    throw new Error(`${chain.key}: set http_api_url (the reference block comes from /wallet/getnowblock)`);
  const { buildTronSweepExport } = await import('../treasury/tron-sweep-export.js');
  const { reserveTronSweepExport } = await import('../treasury/tron-sweep-reservations.js');
  const { fetchNowBlock } = await import('../chain/tron/tron-transaction.js');
  const { parseXpub } = await import('../chain/evm/derive-address.js');
  if (typeof flags.replace === 'string') throw new Error('--replace takes no value');
  const replace = flags.replace === true;
  let file = await buildTronSweepExport({
    chain,
    db: context.db,
    client: await readClient(chain),
    xpub: parseXpub(chain.xpub ?? config.xpub),
    refBlock: await fetchNowBlock(chain.http_api_url),
    fees: tronFeeFlags(flags),
    ...tronExpiryFlag(flags),
    replace,
  });
  const path = flags.export;
  if (typeof path === 'string')
    // Recorded and written together: a file that cannot be written holds nothing.
    file = await reserveTronSweepExport(context.db, file, {
      replace,
      write: (recorded) => writeFileSync(path, `${JSON.stringify(recorded, null, 2)}\n`),
    });
  const warn = context.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  for (const h of file.held_back)
    warn(
      `${chain.key}: ${h.address} left out: export ${h.export_id} holds it until its transactions are on chain or expire (${h.expires_at}); --replace exports it again`,
    );
  if (file.supersedes.length)
    warn(
      `${chain.key}: superseded the live transactions of ${file.supersedes.join(', ')}: do not broadcast those files (they stay valid until they expire; if they land, the watch books them)`,
    );
  if (typeof path === 'string') {
    print(
      `${chain.key}: wrote ${file.transactions.length} unsigned TRON transaction(s) to ${path} (export ${file.export_id}); sign and broadcast them in order (top-ups first, then wait for a block) before ${file.expires_at}`,
    );
    return;
  }
  if (flags.json === true) return print(JSON.stringify(file));
  for (const line of table([
    ['step', 'purpose', 'from', 'to', 'asset', 'amount (atomic)'],
    ...file.transactions.map((t) => [String(t.step), t.purpose, t.from, t.to, t.asset, t.amount_atomic]),
  ]))
    print(line);
}

/** `--energy-price`, `--fee-limit` (sun) of the TRON exports. */
export function tronFeeFlags(flags: Record<string, string | true>): {
  energyPriceSun?: bigint;
  feeLimitSun?: bigint;
} {
  const sun = (name: string) => {
    const value = flags[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^\d{1,15}$/.test(value))
      throw new Error(`--${name} is a whole number of sun`);
    return BigInt(value);
  };
  const energyPriceSun = sun('energy-price');
  const feeLimitSun = sun('fee-limit');
  return {
    ...(energyPriceSun !== undefined ? { energyPriceSun } : {}),
    ...(feeLimitSun !== undefined ? { feeLimitSun } : {}),
  };
}

/** `--expires-in <hours>` of the TRON exports: 1 to 24 (java-tron refuses a later expiry). */
export function tronExpiryFlag(flags: Record<string, string | true>): { expiresInMs?: number } {
  const value = flags['expires-in'];
  if (value === undefined) return {};
  const hours = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(hours) || hours < 1 || hours > 24)
    throw new Error(
      '--expires-in is a whole number of hours, 1 to 24 (TRON refuses a transaction expiring later)',
    );
  return { expiresInMs: hours * 60 * 60 * 1_000 };
}

/** A read-only client of an xpub-mode chain. */
async function readClient(chain: ChainConfig): Promise<PublicClient> {
  const { createPublicClient, http } = await import('viem');
  return createPublicClient({ transport: http(chain.rpc_url) });
}
