/**
 * `sweep --export` for a Bitcoin-like chain (xpub mode, the only mode there): one unsigned PSBT
 * (BIP174) spending every confirmed coin at the chain's deposit addresses to one address of the
 * merchant's, for a hardware wallet, Sparrow or Electrum to sign. The coins come from the server's
 * watch-only wallet on the node (`listunspent` with the deposit addresses); each input carries its
 * witness UTXO (or, for legacy addresses, the whole previous transaction) and its BIP32 derivation,
 * so that a signer holding the seed finds the key. The server never holds a private key.
 *
 * The PSBT is built with @scure/btc-signer, loaded by the CLI only (never at server start).
 * @module
 */
import { Address, bip32Path, Transaction, OutScript, p2wpkh, p2sh } from '@scure/btc-signer';
import { hex } from '@scure/base';
import type { ChainConfig } from '../config.js';
import type { Database } from '../store/database.js';
import { lockUtxoTreasury } from '../store/utxo-treasury-lock.js';
import { nextTreasuryAddress, reserveCoins, reservedCoins, treasuryKeyOf } from './utxo-treasury.js';
import { toAtomic } from '../money.js';
import { deriveUtxoAddress, parseUtxoAccountKey, type UtxoAccountKey } from '../chain/utxo/account-key.js';
import type { NodeRpc } from '../chain/utxo/node-rpc.js';
import { normalizeUtxoAddress, utxoNetworkOf, walletNameOf } from '../chain/utxo/utxo-chain.js';

/** Where the account key sits under the merchant's seed: master fingerprint and path (BIP32 key origin). */
export interface KeyOrigin {
  /** The master key's fingerprint, as 8 hex digits (`d34db33f`). */
  fingerprint: string;
  /** The account's path from the master, e.g. `m/84'/1'/0'`. */
  path: string;
}

/** One coin the PSBT spends. */
export interface SweptCoin {
  txid: string;
  vout: number;
  address: string;
  derivation_index: number;
  /** In the chain's smallest unit (satoshi, litoshi), as a decimal string. */
  amount_atomic: string;
}

/** What `sweep --export` produced for a UTXO chain. */
export interface UtxoSweepPsbt {
  chain: string;
  to: string;
  /** The treasury index of `to` (m/…/1/index) when the sweep goes to a fresh treasury address, else `null`. */
  to_treasury_index: number | null;
  /** The transaction's id, known before signing when every input is native SegWit, else `null`. */
  txid: string | null;
  /** The PSBT, base64 (what Sparrow, Electrum and hardware wallet companions import). */
  psbt: string;
  inputs: SweptCoin[];
  /** Sum of the inputs, fee and what `to` receives, atomic units as decimal strings. */
  total_atomic: string;
  fee_atomic: string;
  output_atomic: string;
  /** Fee rate asked for (sat/vB) and the signed transaction's size the fee was computed for (vB). */
  fee_rate_sat_vb: number;
  estimated_vsize: number;
  key_origin: KeyOrigin;
}

/** Why no PSBT can be made: nothing to sweep, a bad destination, or a fee larger than the coins. */
export class UtxoSweepError extends Error {
  override name = 'UtxoSweepError';
}

/** Virtual bytes a signed input takes, by address type (72-byte signatures: an upper bound). */
const INPUT_VBYTES = { p2wpkh: 68, 'p2sh-p2wpkh': 91, p2pkh: 148 } as const;
/** Version, locktime, counts and the SegWit marker: 10.5 vB, rounded up. */
const TX_OVERHEAD_VBYTES = 11;

/**
 * Reads a key origin as wallets print it: `[d34db33f/84'/1'/0']`, `d34db33f/84h/1h/0h` or
 * `d34db33f/m/84'/1'/0'`.
 * @example parseKeyOrigin("[d34db33f/84'/1'/0']") // { fingerprint: 'd34db33f', path: "m/84'/1'/0'" }
 */
export function parseKeyOrigin(text: string): KeyOrigin {
  const match = /^\[?([0-9a-fA-F]{8})\/(?:m\/)?((?:\d+['hH]?\/)*\d+['hH]?)\]?$/.exec(text.trim());
  if (!match)
    throw new UtxoSweepError(`--key-origin: expected [fingerprint/path], e.g. [d34db33f/84'/1'/0']`);
  return { fingerprint: match[1]!.toLowerCase(), path: `m/${match[2]!.replace(/[hH]/g, "'")}` };
}

/**
 * The origin the PSBT names when none is given: the account key itself (its own fingerprint, path
 * `m`), which a signer holding the account's private key (not the seed) recognises.
 */
function accountOrigin(key: UtxoAccountKey): KeyOrigin {
  return { fingerprint: key.account.fingerprint.toString(16).padStart(8, '0'), path: 'm' };
}

/** sat/vB from a node fee rate in coin per 1,000 vB (a JSON number), rounded up. */
function satPerVbyte(perKvb: number): number {
  return Math.ceil(Number(toAtomic(perKvb.toFixed(8), 8)) / 1000);
}

/**
 * The fee rate to use when none is given: the node's `estimatesmartfee` for 6 blocks, never below
 * its relay minimum nor 1 sat/vB (regtest and a fresh node have no estimate: the minimum then).
 */
export async function defaultFeeRate(rpc: NodeRpc): Promise<number> {
  const { relayfee } = await rpc<{ relayfee: number | string }>('getnetworkinfo');
  const floor = Math.max(1, satPerVbyte(Number(relayfee)));
  const estimate = await rpc<{ feerate?: number | string }>('estimatesmartfee', [6]).catch(() => ({
    feerate: undefined,
  }));
  return estimate.feerate === undefined ? floor : Math.max(floor, satPerVbyte(Number(estimate.feerate)));
}

/**
 * Builds the sweep PSBT of `chain`: every coin with at least the chain's confirmations at a deposit
 * address (`deposits` and `abandoned_deposits` of the chain) to `to`, less a fee of
 * `feeRate` × the signed size. Without `to`, the sweep goes to a fresh treasury address (m/…/1/i,
 * the same seed; the output carries its BIP32 derivation so that the wallet shows it as its own),
 * which the sweep watch books as a move into the treasury. The coins are reserved for `reserveMs`
 * (default 24 h; `0`: a dry run, nothing reserved, no address taken) so that another export leaves
 * them out.
 * @example const out = await buildUtxoSweepPsbt({ chain, db, rpc, to: 'ltc1q…', feeRate: 2 });
 */
export async function buildUtxoSweepPsbt(options: {
  chain: ChainConfig;
  db: Database;
  rpc: NodeRpc;
  to?: string | undefined;
  feeRate?: number;
  keyOrigin?: KeyOrigin;
  reserveMs?: number;
  clock?: () => Date;
}): Promise<UtxoSweepPsbt> {
  const { chain, db, rpc } = options;
  const network = utxoNetworkOf(chain);
  if (!chain.xpub) throw new UtxoSweepError(`chain ${chain.key} has no xpub`);
  const key = parseUtxoAccountKey(chain.xpub, network, chain.address_type);
  const btcNet = {
    bech32: network.bech32,
    pubKeyHash: network.pubKeyHash,
    scriptHash: network.scriptHash,
    wif: network.wif,
  };
  const dryRun = options.reserveMs === 0;
  const now = (options.clock ?? (() => new Date()))();
  const treasuryKey = treasuryKeyOf(chain);
  // The destination: the one given, else the next treasury address (looked at, not taken, on a dry run).
  let to = options.to;
  let toIndex: number | null = null;
  if (to === undefined) {
    if (dryRun) {
      const { rows } = await db.query<{ next: number }>(
        `SELECT (coalesce(max(derivation_index), -1) + 1)::float8 AS next FROM utxo_treasury_addresses WHERE chain_id = $1`,
        [chain.id],
      );
      toIndex = Number(rows[0]!.next);
      to = deriveUtxoAddress(treasuryKey, toIndex);
    } else toIndex = -1; // taken below, with the reservation
  }
  let toScript: Uint8Array;
  try {
    toScript =
      to === undefined
        ? OutScript.encode(Address(btcNet).decode(deriveUtxoAddress(treasuryKey, 0)))
        : OutScript.encode(Address(btcNet).decode(to));
  } catch (error) {
    throw new UtxoSweepError(
      `--to ${to} is not a ${network.coin} address of this network (${(error as Error).message})`,
    );
  }
  const feeRate = options.feeRate ?? (await defaultFeeRate(rpc));
  if (!Number.isFinite(feeRate) || feeRate <= 0 || feeRate > 10_000)
    throw new UtxoSweepError(`--fee-rate must be a number of sat/vB in (0, 10000], got ${feeRate}`);
  const origin = options.keyOrigin ?? accountOrigin(key);

  const { rows } = await db.query<{ address: string; derivation_index: string | number }>(
    `SELECT address, derivation_index FROM deposits WHERE chain_id = $1
     UNION ALL SELECT address, derivation_index FROM abandoned_deposits WHERE chain_id = $1`,
    [chain.id],
  );
  const indexOf = new Map(rows.map((r) => [normalizeUtxoAddress(r.address), Number(r.derivation_index)]));
  if (!indexOf.size) throw new UtxoSweepError(`${chain.key}: no deposit addresses yet`);
  const wallet = walletNameOf(chain);
  const unspent = await rpc<{ txid: string; vout: number; address: string; amount: string }[]>(
    'listunspent',
    [chain.confirmations, 9_999_999, [...indexOf.keys()]],
    wallet,
  );
  const reserved = await reservedCoins(db, chain, now);
  const held = unspent.filter((u) => reserved.has(`${u.txid}:${u.vout}`)).length;
  const coins = unspent
    .filter((u) => !reserved.has(`${u.txid}:${u.vout}`))
    .map((u) => ({ ...u, index: indexOf.get(normalizeUtxoAddress(u.address)) }))
    .filter((u): u is typeof u & { index: number } => u.index !== undefined)
    .sort((a, b) => a.index - b.index || a.txid.localeCompare(b.txid) || a.vout - b.vout);
  if (!coins.length)
    throw new UtxoSweepError(
      `${chain.key}: no coins with ${chain.confirmations} confirmations at the deposit addresses${held ? ` (${held} reserved by earlier exports)` : ''}`,
    );

  const tx = new Transaction();
  let total = 0n;
  const basePath = origin.path === 'm' ? [] : bip32Path(origin.path);
  for (const coin of coins) {
    const pubkey = key.receive.deriveChild(coin.index).publicKey!;
    const amount = toAtomic(coin.amount, 8);
    total += amount;
    const bip32Derivation: [Uint8Array, { fingerprint: number; path: number[] }][] = [
      [pubkey, { fingerprint: Number.parseInt(origin.fingerprint, 16), path: [...basePath, 0, coin.index] }],
    ];
    const base = { txid: coin.txid, index: coin.vout, bip32Derivation };
    if (key.type === 'p2pkh') {
      // Legacy inputs sign over the whole previous transaction, which the wallet keeps.
      const { hex: prev } = await rpc<{ hex: string }>('gettransaction', [coin.txid, true], wallet);
      tx.addInput({ ...base, nonWitnessUtxo: hex.decode(prev) });
    } else {
      const witness = p2wpkh(pubkey, btcNet);
      if (key.type === 'p2wpkh') tx.addInput({ ...base, witnessUtxo: { script: witness.script, amount } });
      else {
        const wrapped = p2sh(witness, btcNet);
        tx.addInput({
          ...base,
          witnessUtxo: { script: wrapped.script, amount },
          redeemScript: wrapped.redeemScript,
        });
      }
    }
  }
  const outputVbytes = 8 + 1 + toScript.length;
  const vsize = TX_OVERHEAD_VBYTES + coins.length * INPUT_VBYTES[key.type] + outputVbytes;
  const fee = BigInt(Math.ceil(vsize * feeRate));
  const output = total - fee;
  // Below 546 units an output is dust that no node relays.
  if (output < 546n)
    throw new UtxoSweepError(
      `${chain.key}: the coins (${total}) do not cover the fee (${fee} at ${feeRate} sat/vB)`,
    );
  let txid: string | null = null;
  if (!dryRun) {
    await db.transaction(async (q) => {
      await lockUtxoTreasury(q, chain.id);
      if (toIndex === -1) {
        const taken = await nextTreasuryAddress(q, chain, 'sweep', now);
        toIndex = taken.index;
        to = taken.address;
        toScript = OutScript.encode(Address(btcNet).decode(to));
      }
      addOutput();
      txid = key.type === 'p2wpkh' ? tx.id : null;
      await reserveCoins(q, chain, coins, {
        purpose: 'sweep',
        expected_txid: txid,
        now,
        ...(options.reserveMs !== undefined ? { ttlMs: options.reserveMs } : {}),
      });
    });
  } else addOutput();
  function addOutput() {
    const bip32Derivation: [Uint8Array, { fingerprint: number; path: number[] }][] =
      toIndex !== null && toIndex >= 0
        ? [
            [
              treasuryKey.receive.deriveChild(toIndex).publicKey!,
              { fingerprint: Number.parseInt(origin.fingerprint, 16), path: [...basePath, 1, toIndex] },
            ],
          ]
        : [];
    tx.addOutput({
      script: toScript,
      amount: output,
      ...(bip32Derivation.length ? { bip32Derivation } : {}),
    });
  }
  return {
    chain: chain.key,
    to: to!,
    to_treasury_index: toIndex,
    txid,
    psbt: Buffer.from(tx.toPSBT()).toString('base64'),
    inputs: coins.map((c) => ({
      txid: c.txid,
      vout: c.vout,
      address: c.address,
      derivation_index: c.index,
      amount_atomic: toAtomic(c.amount, 8).toString(),
    })),
    total_atomic: total.toString(),
    fee_atomic: fee.toString(),
    output_atomic: output.toString(),
    fee_rate_sat_vb: feeRate,
    estimated_vsize: vsize,
    key_origin: origin,
  };
}
