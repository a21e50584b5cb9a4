/**
 * A Litecoin Core node in regtest mode for the UTXO tests, started and stopped like anvil: a free
 * port, a temporary data folder, an RPC user with a random password, a funded "buyer" wallet with
 * private keys (the merchant's server gets its own watch-only wallet), and helpers to pay, bump a
 * fee, mine and reorganise. Debian's litecoind (Litecoin Core 0.21) is run directly
 * (`/usr/lib/litecoin/litecoind`: the `/usr/bin` wrapper writes a config into the home folder), with
 * `-mempoolreplacement=1` so that fee bumps (RBF) are accepted and `-vbparams=mweb:-2:-2` so that
 * MWEB does not activate at height 432 and break plain mining.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDKey } from '@scure/bip32';
import { nodeRpc, type NodeRpc } from '../../packages/server/src/chain/utxo/node-rpc.js';
import { freePort } from './chain.js';
import { recordSecrets } from './logs.js';
import { waitFor } from './wait-for.js';

/** Where Debian's package puts the daemon. `LITECOIND` overrides it. */
export const LITECOIND = process.env.LITECOIND ?? '/usr/lib/litecoin/litecoind';

/** Why the UTXO tests skip, or `false` when litecoind is here. */
export const litecoindMissing: string | false = existsSync(LITECOIND)
  ? false
  : `litecoind not found at ${LITECOIND}: install Debian's package (apt-get install litecoind; .ci/run does) to run the Litecoin regtest suite`;

/** BIP32 version bytes of test networks (tpub/tprv), the only ones regtest takes. */
export const TEST_VERSIONS = { public: 0x043587cf, private: 0x04358394 };

/** A merchant's Litecoin regtest account (m/84'/1'/0'): its tpub goes to the server. */
export function testUtxoAccount(): { tpub: string } {
  const root = HDKey.fromMasterSeed(randomBytes(32), TEST_VERSIONS);
  return { tpub: root.derive("m/84'/1'/0'").publicExtendedKey };
}

/** A running regtest node. */
export interface Litecoind {
  /** `http://user:password@127.0.0.1:port`, what the server's chain config takes. */
  rpcUrl: string;
  rpc: NodeRpc;
  process: ChildProcess;
  /** An address of the buyer's wallet (mining rewards go there). */
  buyerAddress: string;
  /** Sends `amount` LTC (a decimal string) from the buyer's wallet, RBF-signalling; answers the txid. */
  pay(address: string, amount: string): Promise<string>;
  /** Pays several addresses in one transaction (amounts as decimal strings); answers the txid. */
  payMany(outputs: Record<string, string>): Promise<string>;
  /**
   * Replaces an unconfirmed payment by one spending the same coins with a higher fee, paying
   * `outputs` instead (a fee bump that redirects the money); answers the new txid.
   */
  replace(txid: string, outputs: Record<string, string>): Promise<string>;
  /** Mines `blocks` blocks; answers their hashes. */
  mine(blocks: number): Promise<string[]>;
  /** Invalidates the block at `height` and everything above it (a reorganisation), keeping its txs in the mempool. */
  invalidate(height: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts litecoind in regtest on a free port, with a funded buyer wallet (101 blocks mined to it).
 * @example const node = await startLitecoind(); await node.pay(address, '0.5'); await node.mine(1);
 */
export async function startLitecoind(): Promise<Litecoind> {
  const datadir = await mkdtemp(join(tmpdir(), 'cc-litecoind-'));
  const port = await freePort();
  const password = randomBytes(16).toString('hex');
  recordSecrets(password);
  const child = spawn(
    LITECOIND,
    [
      '-regtest',
      `-datadir=${datadir}`,
      `-rpcport=${port}`,
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      '-rpcuser=cc',
      `-rpcpassword=${password}`,
      '-listen=0',
      '-server=1',
      '-printtoconsole=0',
      '-fallbackfee=0.0002',
      '-mempoolreplacement=1',
      '-vbparams=mweb:-2:-2',
      '-rpcworkqueue=64',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rpcUrl = `http://cc:${password}@127.0.0.1:${port}`;
  const rpc = nodeRpc(rpcUrl, { timeoutMs: 60_000 });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`litecoind exited with ${child.exitCode}`);
      return (await rpc<number>('getblockcount')) >= 0;
    },
    30_000,
    'litecoind to answer',
  );
  await rpc('createwallet', ['buyer']);
  const buyerAddress = await rpc<string>('getnewaddress', ['', 'bech32'], 'buyer');
  await rpc('generatetoaddress', [101, buyerAddress]);

  // A fresh reward address each time: after invalidateblock, a block mined in the same second to
  // the same address with the same transactions would be the invalidated block again, and refused.
  const mine = async (blocks: number) =>
    rpc<string[]>('generatetoaddress', [blocks, await rpc<string>('getnewaddress', ['', 'bech32'], 'buyer')]);
  const fundAndSend = async (outputs: Record<string, string>, inputs: unknown[] = [], feeRate?: string) => {
    // Amounts go to the node as decimal strings, which it reads exactly (never through a float).
    const raw = await rpc<string>('createrawtransaction', [inputs, outputs, 0, true]);
    const funded = await rpc<{ hex: string }>(
      'fundrawtransaction',
      [raw, { replaceable: true, ...(feeRate ? { feeRate } : {}) }],
      'buyer',
    );
    const signed = await rpc<{ hex: string; complete: boolean }>(
      'signrawtransactionwithwallet',
      [funded.hex],
      'buyer',
    );
    return rpc<string>('sendrawtransaction', [signed.hex]);
  };

  return {
    rpcUrl,
    rpc,
    process: child,
    buyerAddress,
    pay: (address, amount) => fundAndSend({ [address]: amount }),
    payMany: (outputs) => fundAndSend(outputs),
    async replace(txid, outputs) {
      const tx = await rpc<{ vin: { txid: string; vout: number }[] }>('getrawtransaction', [txid, true]);
      const inputs = tx.vin.map(({ txid: id, vout }) => ({ txid: id, vout, sequence: 0xfffffffd }));
      // Same coins, ten times the fee rate: the mempool takes it only as a replacement.
      return fundAndSend(outputs, inputs, '0.002');
    },
    mine,
    async invalidate(height) {
      await rpc('invalidateblock', [await rpc<string>('getblockhash', [height])]);
    },
    async stop() {
      try {
        await rpc('stop');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      await rm(datadir, { recursive: true, force: true });
    },
  };
}
