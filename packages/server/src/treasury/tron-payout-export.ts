/**
 * `payouts export-tron`: every approved payout of a TRON chain and mode as one unsigned TRON
 * transaction from the treasury (`treasury_address`) — a USDT payout a TRC-20
 * `transfer(destination, amount)` (`TriggerSmartContract` with a `fee_limit`), a TRX payout a
 * `TransferContract` — marked `submitted` in the same database transaction, with the transaction's
 * `txID` as its `tx_hash` (a TRON id is the hash of `raw_data`, known before signing) and the unsigned
 * transaction as its `raw_tx`. Sign each with the treasury's key and broadcast before `expires_at`.
 *
 * The treasury watch (`tron-treasury-watch.ts`) confirms a payout when its transfer is settled on
 * chain (by `txID`, else by destination and exact amount) and fails it, releasing its reservation,
 * once the settled block is past the transaction's expiry without it: ask for it again then.
 * @module
 */
import { encodeFunctionData, erc20Abi, type PublicClient } from 'viem';
import type { ChainConfig } from '../config.js';
import { tronAddressToHex } from '../chain/tron/address.js';
import type { TronBlockHeader } from '../chain/tron/solid-head.js';
import {
  buildTronTransaction,
  TRON_DEFAULT_EXPIRATION_MS,
  type UnsignedTronTransaction,
} from '../chain/tron/tron-transaction.js';
import type { Payouts } from './payouts.js';
import { DEFAULT_FEE_LIMIT_SUN } from './tron-sweep-export.js';

/** The export's format name. */
export const TRON_PAYOUT_EXPORT_FORMAT = 'crypto-checkout.tron-payout-export';

/** Thrown when there is nothing to export or the chain cannot pay out. */
export class TronPayoutExportError extends Error {
  override name = 'TronPayoutExportError';
}

/** The file `payouts export-tron` writes. */
export interface TronPayoutExport {
  format: typeof TRON_PAYOUT_EXPORT_FORMAT;
  version: 1;
  chain: string;
  chain_id: number;
  livemode: boolean;
  /** The treasury, which signs every transaction. */
  from: string;
  created_at: string;
  reference_block: { number: number; id: string };
  expires_at: string;
  fee_limit_sun: string;
  payouts: {
    payout_id: string;
    asset: string;
    destination: string;
    amount_atomic: string;
    transaction: UnsignedTronTransaction;
  }[];
}

/**
 * Exports the approved payouts of `chain` in `livemode` and marks them submitted (all or none).
 * Throws {@link TronPayoutExportError} when none is approved or the chain has no treasury address.
 * @example const file = await exportTronPayouts({ chain, payouts, client, refBlock, livemode: false });
 */
export async function exportTronPayouts(options: {
  chain: ChainConfig;
  payouts: Payouts;
  client: PublicClient;
  refBlock: TronBlockHeader;
  livemode: boolean;
  feeLimitSun?: bigint;
  expiresInMs?: number;
  now?: Date;
}): Promise<TronPayoutExport> {
  const { chain, payouts, refBlock, livemode } = options;
  const treasury = chain.treasury_address;
  if (chain.family !== 'tron' || !treasury?.startsWith('T'))
    throw new TronPayoutExportError(`${chain.key}: a TRON chain with a treasury_address (T…) is needed`);
  const feeLimit = options.feeLimitSun ?? DEFAULT_FEE_LIMIT_SUN;
  const now = options.now ?? new Date();
  const expiration = refBlock.time.getTime() + (options.expiresInMs ?? TRON_DEFAULT_EXPIRATION_MS);
  // Made and expiring by the head block's clock, which java-tron checks the expiry against.
  const timing = { refBlock, timestamp: refBlock.time.getTime(), expiration };
  const head = await options.client.getBlockNumber();
  const exported = await payouts.transaction(async (tx) => {
    const approved = await payouts.inStatus(tx, chain.id, 'approved', livemode);
    const out: TronPayoutExport['payouts'] = [];
    for (const p of approved) {
      const payout = await payouts.lockById(tx, p.id);
      if (payout?.status !== 'approved') continue;
      const transaction = payout.token_address
        ? await buildTronTransaction(
            {
              type: 'TriggerSmartContract',
              owner: treasury,
              contract: payout.token_address,
              data: encodeFunctionData({
                abi: erc20Abi,
                functionName: 'transfer',
                args: [tronAddressToHex(payout.destination), payout.amount_atomic],
              }),
              feeLimit,
            },
            timing,
          )
        : await buildTronTransaction(
            {
              type: 'TransferContract',
              owner: treasury,
              to: payout.destination,
              amount: payout.amount_atomic,
            },
            timing,
          );
      await payouts.transition(tx, payout, 'submitted', {
        source_address: treasury,
        submitted_at_block: head,
        tx_hash: transaction.txID,
        raw_tx: JSON.stringify(transaction),
      });
      out.push({
        payout_id: payout.id,
        asset: payout.asset,
        destination: payout.destination,
        amount_atomic: payout.amount_atomic.toString(),
        transaction,
      });
    }
    return out;
  });
  if (!exported.length) throw new TronPayoutExportError(`${chain.key}: no approved payouts to export`);
  return {
    format: TRON_PAYOUT_EXPORT_FORMAT,
    version: 1,
    chain: chain.key,
    chain_id: chain.id,
    livemode,
    from: treasury,
    created_at: now.toISOString(),
    reference_block: { number: refBlock.number, id: refBlock.hash },
    expires_at: new Date(expiration).toISOString(),
    fee_limit_sun: feeLimit.toString(),
    payouts: exported,
  };
}
