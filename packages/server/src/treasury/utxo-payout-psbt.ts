/**
 * `payouts export-psbt` for a Bitcoin-like chain: every approved payout of the chain and mode in one
 * unsigned PSBT (BIP174) that spends treasury coins (m/…/1/i of the chain's account key, listed by
 * the treasury's watch-only wallet on the node) to the payees, with the change to a fresh treasury
 * address. Each input and the change output carry their BIP32 derivation and each input its witness
 * UTXO, so a hardware wallet signs it and shows the change as its own. The server never signs.
 *
 * In one database transaction: the payouts move to `submitted` with the transaction's id and their
 * output's index (a native SegWit transaction's id is fixed before signing), and the coins are
 * reserved so that a second export cannot spend them; the sweep watch confirms the payouts when the
 * transaction has the chain's confirmations, or fails them (and releases their reservation) when the
 * coins were spent otherwise. Coin selection: the largest confirmed coins first, until the payouts
 * and the fee are covered; change below the dust limit goes to the fee.
 *
 * Built with @scure/btc-signer, loaded by the CLI only (never at server start).
 * @module
 */
import { Address, bip32Path, OutScript, p2wpkh, Transaction } from '@scure/btc-signer';
import type { ChainConfig } from '../config.js';
import { formatAtomic, toAtomic } from '../money.js';
import { deriveUtxoAddress } from '../chain/utxo/account-key.js';
import type { NodeRpc } from '../chain/utxo/node-rpc.js';
import { normalizeUtxoAddress, utxoNetworkOf } from '../chain/utxo/utxo-chain.js';
import { lockUtxoTreasury } from '../store/utxo-treasury-lock.js';
import type { PayoutRecord, Payouts } from './payouts.js';
import { defaultFeeRate, UtxoSweepError, type KeyOrigin } from './utxo-sweep-psbt.js';
import {
  nextTreasuryAddress,
  reserveCoins,
  reservedCoins,
  treasuryKeyOf,
  treasuryWalletNameOf,
} from './utxo-treasury.js';

/** What `payouts export-psbt` produced. */
export interface UtxoPayoutPsbt {
  chain: string;
  /** The PSBT, base64. */
  psbt: string;
  /** The transaction's id once signed (native SegWit: fixed before signing). */
  txid: string;
  payouts: { id: string; destination: string; amount_atomic: string; vout: number }[];
  inputs: { txid: string; vout: number; address: string; amount_atomic: string }[];
  /** The change output, or `null` when it would have been dust (then part of the fee). */
  change: { address: string; index: number; amount_atomic: string; vout: number } | null;
  fee_atomic: string;
  fee_rate_sat_vb: number;
  estimated_vsize: number;
}

/** vB of a signed P2WPKH input, of the transaction's fixed part, of an output without its script. */
const INPUT_VBYTES = 68;
const TX_OVERHEAD_VBYTES = 11;
const OUTPUT_VBYTES = 9;
/** Below this an output is dust no node relays. */
const DUST = 546n;

/**
 * Builds the payout PSBT of `chain` and `livemode` and marks its payouts submitted (see the module
 * comment). Throws {@link UtxoSweepError} when nothing is approved or the treasury's coins do not
 * cover the payouts and the fee (nothing changes then).
 * @example const out = await exportUtxoPayouts({ chain, payouts, rpc, livemode: false, feeRate: 2 });
 */
export async function exportUtxoPayouts(options: {
  chain: ChainConfig;
  payouts: Payouts;
  rpc: NodeRpc;
  livemode: boolean;
  feeRate?: number;
  keyOrigin?: KeyOrigin;
  reserveMs?: number;
  clock?: () => Date;
}): Promise<UtxoPayoutPsbt> {
  const { chain, payouts, rpc } = options;
  const network = utxoNetworkOf(chain);
  const key = treasuryKeyOf(chain);
  if (key.type !== 'p2wpkh')
    throw new UtxoSweepError(
      `${chain.key}: payouts are exported for native SegWit (p2wpkh) accounts only, whose transaction id is fixed before signing; this account is ${key.type}`,
    );
  const btcNet = {
    bech32: network.bech32,
    pubKeyHash: network.pubKeyHash,
    scriptHash: network.scriptHash,
    wif: network.wif,
  };
  const feeRate = options.feeRate ?? (await defaultFeeRate(rpc));
  if (!Number.isFinite(feeRate) || feeRate <= 0 || feeRate > 10_000)
    throw new UtxoSweepError(`--fee-rate must be a number of sat/vB in (0, 10000], got ${feeRate}`);
  const origin = options.keyOrigin ?? {
    fingerprint: key.account.fingerprint.toString(16).padStart(8, '0'),
    path: 'm',
  };
  const basePath = origin.path === 'm' ? [] : bip32Path(origin.path);
  const fingerprint = Number.parseInt(origin.fingerprint, 16);
  const now = (options.clock ?? (() => new Date()))();
  // Coins of the treasury's wallet with the chain's confirmations, largest first.
  const unspent = await rpc<{ txid: string; vout: number; address: string; amount: string }[]>(
    'listunspent',
    [chain.confirmations, 9_999_999, [], false],
    treasuryWalletNameOf(chain),
  );

  return payouts.transaction(async (tx) => {
    await lockUtxoTreasury(tx, chain.id);
    const approved = await payouts.inStatus(tx, chain.id, 'approved', options.livemode);
    const due: PayoutRecord[] = [];
    for (const p of approved) {
      const locked = await payouts.lockById(tx, p.id);
      if (locked?.status === 'approved') due.push(locked);
    }
    if (!due.length) throw new UtxoSweepError(`${chain.key}: no approved payouts to export`);
    const reserved = await reservedCoins(tx, chain, now);
    const { rows } = await tx.query<{ address: string; derivation_index: string | number }>(
      'SELECT address, derivation_index FROM utxo_treasury_addresses WHERE chain_id = $1',
      [chain.id],
    );
    const indexOf = new Map(rows.map((r) => [normalizeUtxoAddress(r.address), Number(r.derivation_index)]));
    const coins = unspent
      .filter((u) => !reserved.has(`${u.txid}:${u.vout}`))
      .map((u) => ({
        ...u,
        atomic: toAtomic(u.amount, 8),
        index: indexOf.get(normalizeUtxoAddress(u.address)),
      }))
      .filter((u): u is typeof u & { index: number } => u.index !== undefined)
      .sort((a, b) => (b.atomic > a.atomic ? 1 : b.atomic < a.atomic ? -1 : a.txid.localeCompare(b.txid)));

    const outputs = due.map((p) => ({
      payout: p,
      script: OutScript.encode(Address(btcNet).decode(p.destination)),
    }));
    const wanted = due.reduce((sum, p) => sum + p.amount_atomic, 0n);
    const outputVbytes = outputs.reduce((sum, o) => sum + OUTPUT_VBYTES + o.script.length, 0);
    const changeVbytes = OUTPUT_VBYTES + 22;
    const feeFor = (inputs: number, withChange: boolean) =>
      BigInt(
        Math.ceil(
          (TX_OVERHEAD_VBYTES + inputs * INPUT_VBYTES + outputVbytes + (withChange ? changeVbytes : 0)) *
            feeRate,
        ),
      );
    const chosen: typeof coins = [];
    let total = 0n;
    for (const coin of coins) {
      if (total >= wanted + feeFor(chosen.length, true)) break;
      chosen.push(coin);
      total += coin.atomic;
    }
    if (total < wanted + feeFor(chosen.length, false)) {
      throw new UtxoSweepError(
        `${chain.key}: the treasury's confirmed coins (${formatAtomic(total, 8)}${reserved.size ? `, besides coins reserved by earlier exports` : ''}) do not cover the payouts (${formatAtomic(wanted, 8)}) and the fee at ${feeRate} sat/vB; sweep deposits into the treasury first`,
      );
    }
    let fee = feeFor(chosen.length, true);
    let change: UtxoPayoutPsbt['change'] = null;
    const t = new Transaction();
    for (const coin of chosen) {
      const pubkey = key.receive.deriveChild(coin.index).publicKey!;
      t.addInput({
        txid: coin.txid,
        index: coin.vout,
        witnessUtxo: { script: p2wpkh(pubkey, btcNet).script, amount: coin.atomic },
        bip32Derivation: [[pubkey, { fingerprint, path: [...basePath, 1, coin.index] }]],
      });
    }
    const vouts = new Map<string, number>();
    for (const o of outputs) {
      vouts.set(o.payout.id, t.outputsLength);
      t.addOutput({ script: o.script, amount: o.payout.amount_atomic });
    }
    const rest = total - wanted - fee;
    if (rest >= DUST) {
      const taken = await nextTreasuryAddress(tx, chain, 'payout change', now);
      const pubkey = key.receive.deriveChild(taken.index).publicKey!;
      change = {
        address: taken.address,
        index: taken.index,
        amount_atomic: rest.toString(),
        vout: t.outputsLength,
      };
      t.addOutput({
        script: OutScript.encode(Address(btcNet).decode(taken.address)),
        amount: rest,
        bip32Derivation: [[pubkey, { fingerprint, path: [...basePath, 1, taken.index] }]],
      });
    } else fee = total - wanted; // dust change: part of the fee
    const txid = t.id;
    await reserveCoins(tx, chain, chosen, {
      purpose: 'payouts',
      expected_txid: txid,
      now,
      ...(options.reserveMs !== undefined ? { ttlMs: options.reserveMs } : {}),
    });
    const source = deriveUtxoAddress(key, chosen[0]!.index);
    for (const p of due) {
      await payouts.transition(tx, p, 'submitted', {
        source_address: source,
        tx_hash: txid,
        log_index: vouts.get(p.id)!,
      });
    }
    return {
      chain: chain.key,
      psbt: Buffer.from(t.toPSBT()).toString('base64'),
      txid,
      payouts: due.map((p) => ({
        id: p.id,
        destination: p.destination,
        amount_atomic: p.amount_atomic.toString(),
        vout: vouts.get(p.id)!,
      })),
      inputs: chosen.map((c) => ({
        txid: c.txid,
        vout: c.vout,
        address: c.address,
        amount_atomic: c.atomic.toString(),
      })),
      change,
      fee_atomic: fee.toString(),
      fee_rate_sat_vb: feeRate,
      estimated_vsize:
        TX_OVERHEAD_VBYTES + chosen.length * INPUT_VBYTES + outputVbytes + (change ? changeVbytes : 0),
    };
  });
}
