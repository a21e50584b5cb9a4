/**
 * Keyless sweeps on TRON: `sweep --export` on a TRON chain writes the unsigned TRON transactions
 * that move each deposit address's USDT (TRC-20 `transfer(treasury, balance)`, a
 * `TriggerSmartContract` with a `fee_limit`) and TRX (`TransferContract`) to the merchant's treasury
 * (`treasury_address`), for the merchant to sign with the keys of their TRON wallet
 * (m/44'/195'/0'/0/i for deposit address i; the treasury's own key for the top-ups).
 *
 * A TRC-20 transfer burns TRX for energy and bandwidth, which a deposit address that received only
 * USDT does not have. So the export begins with **top-ups**: TRX from the treasury to each deposit
 * address that holds less than its sweeps will burn, estimated as (see docs/treasury.md):
 *   energy × energy price + bandwidth, per USDT transfer:
 *   130 285 energy when the treasury holds none of the token yet, 64 285 once it does (FIELD-NOTES),
 *   at `energyPriceSun` (100 sun since August 2025), plus 350 bytes × 1 000 sun of bandwidth;
 * less what the address holds already. Sign and broadcast in the file's order (`step`): the top-ups
 * (signed by the treasury) first, wait until they are in a block, then the USDT sweeps (each signed
 * by its deposit address), then the TRX sweeps. TRX left on an address after its USDT sweep (the
 * top-up less what was burned) is swept by the next export, once the USDT is gone.
 *
 * Every transaction names the head block of the HTTP API (`/wallet/getnowblock`) and expires at
 * `expires_at` (12 h later by default, at most 24 h, java-tron's limit): sign and broadcast before
 * then, or export again.
 *
 * An export is a reservation (`tron-sweep-reservations.ts`): its transactions are recorded by `txID`
 * (`export_id` names the file), and while any of a deposit address's transactions is neither seen on
 * chain nor expired, a later export leaves that address out and lists it in `held_back` — unless
 * `replace` (`sweep --export --replace`) exports it again, marking the earlier transactions
 * superseded (which cannot unsign them: see that module). The treasury watch
 * (`tron-treasury-watch.ts`) marks them confirmed or expired, and books what reaches the chain,
 * whatever file it came from, once.
 * @module
 */
import { encodeFunctionData, erc20Abi, type PublicClient } from 'viem';
import type { HDKey } from '@scure/bip32';
import type { ChainConfig } from '../config.js';
import type { Database } from '../store/database.js';
import { deriveTronAddress, tronAddressToHex } from '../chain/tron/address.js';
import type { TronBlockHeader } from '../chain/tron/solid-head.js';
import { heldTronAddresses, newTronExportId } from './tron-sweep-reservations.js';
import {
  buildTronTransaction,
  TRON_DEFAULT_EXPIRATION_MS,
  type UnsignedTronTransaction,
} from '../chain/tron/tron-transaction.js';

/** The export's format name, first in the file so that a reader can check it. */
export const TRON_SWEEP_EXPORT_FORMAT = 'crypto-checkout.tron-sweep-export';

/** Energy of a USDT transfer to an address that holds none of it (FIELD-NOTES, TRON). */
export const TRC20_ENERGY_TO_EMPTY = 130_285n;
/** Energy of a USDT transfer to an address that already holds some. */
export const TRC20_ENERGY_TO_HOLDER = 64_285n;
/** Sun per unit of energy burned (TRON's price since August 2025). */
export const DEFAULT_ENERGY_PRICE_SUN = 100n;
/** Sun burned for the bandwidth of a TRC-20 transfer when the address has no free bandwidth: ~350 bytes × 1 000 sun. */
export const TRC20_BANDWIDTH_SUN = 350_000n;
/** TRX kept back on an address when its TRX is swept: a transfer's bandwidth (~270 bytes × 1 000 sun) if it has no free bandwidth. */
export const DEFAULT_TRX_RESERVE_SUN = 300_000n;
/** The most a USDT sweep may burn (`fee_limit`): 30 TRX, over twice the 13 TRX of a transfer to an empty address. */
export const DEFAULT_FEE_LIMIT_SUN = 30_000_000n;

/** What the export assumed about fees, written into the file. */
export interface TronFeeAssumptions {
  energy_price_sun: string;
  energy_to_empty: string;
  energy_to_holder: string;
  bandwidth_sun: string;
  fee_limit_sun: string;
  trx_reserve_sun: string;
}

/** One unsigned transaction of a {@link TronSweepExport}. */
export interface TronExportedTransaction {
  /** Its place in the signing and broadcasting order (1, 2, …). */
  step: number;
  /** `top_up`: TRX from the treasury for a sweep's fees; `sweep`: a deposit address's money to the treasury. */
  purpose: 'top_up' | 'sweep';
  /** The address whose key signs it. */
  signer: string;
  /** Its index m/44'/195'/0'/0/i, `null` for the treasury. */
  derivation_index: number | null;
  /** The method id (`usdt@tron`, `trx@tron`). */
  asset: string;
  /** Token contract (`T…`), `null` for TRX. */
  token_address: string | null;
  from: string;
  to: string;
  /** What moves, atomic units (decimal string). */
  amount_atomic: string;
  transaction: UnsignedTronTransaction;
}

/** A deposit address an earlier export still holds, left out of this one. */
export interface TronHeldAddress {
  address: string;
  /** The export holding it. */
  export_id: string;
  /** When that export's transactions expire (ISO 8601); the watch frees the address once the chain is past it. */
  expires_at: string;
}

/** The file `sweep --export` writes for a TRON chain. */
export interface TronSweepExport {
  format: typeof TRON_SWEEP_EXPORT_FORMAT;
  version: 1;
  /** This export's id (`tronexp_…`), under which its transactions are recorded. */
  export_id: string;
  chain: string;
  chain_id: number;
  /** The treasury: where every sweep sends, and where the top-ups come from. */
  to: string;
  created_at: string;
  /** The block every transaction names (`ref_block_bytes`/`ref_block_hash`). */
  reference_block: { number: number; id: string };
  /** After this no transaction of the file can be broadcast (java-tron refuses it as expired). */
  expires_at: string;
  fees: TronFeeAssumptions;
  /** In the order to sign and broadcast (see the module comment). */
  transactions: TronExportedTransaction[];
  /** Deposit addresses left out because an earlier export still holds them (module comment). */
  held_back: TronHeldAddress[];
  /** With `--replace`: the exports whose live transactions this one superseded. */
  supersedes: string[];
}

/** Fee settings of an export; the defaults are TRON mainnet's (module comment). */
export interface TronSweepFees {
  energyPriceSun?: bigint;
  feeLimitSun?: bigint;
  trxReserveSun?: bigint;
}

/**
 * Builds the export for `chain` (a TRON chain with a `treasury_address`): every deposit address that
 * received a transfer is read (`balanceOf` of each token, TRX balance) and swept if it holds anything,
 * but for the addresses an earlier export still holds (listed in `held_back`) unless `replace`.
 * Builds only: `reserveTronSweepExport` records it.
 * @example const file = await buildTronSweepExport({ chain, db, client, xpub, refBlock: await fetchNowBlock(chain.http_api_url!) });
 */
export async function buildTronSweepExport(options: {
  chain: ChainConfig;
  db: Database;
  client: PublicClient;
  /** The account xpub's root (m/44'/195'/0'), to check each deposit address is the merchant's. */
  xpub: HDKey;
  refBlock: TronBlockHeader;
  fees?: TronSweepFees;
  expiresInMs?: number;
  now?: Date;
  /** Export the addresses earlier exports hold too (`--replace`); recording supersedes theirs. */
  replace?: boolean;
}): Promise<TronSweepExport> {
  const { chain, db, client, xpub, refBlock } = options;
  const treasury = chain.treasury_address;
  if (!treasury?.startsWith('T')) throw new Error(`${chain.key}: set treasury_address (a T… address) first`);
  const energyPrice = options.fees?.energyPriceSun ?? DEFAULT_ENERGY_PRICE_SUN;
  const feeLimit = options.fees?.feeLimitSun ?? DEFAULT_FEE_LIMIT_SUN;
  const reserve = options.fees?.trxReserveSun ?? DEFAULT_TRX_RESERVE_SUN;
  const now = options.now ?? new Date();
  // Made and expiring by the head block's clock, which java-tron checks the expiry against.
  const timestamp = refBlock.time.getTime();
  const expiration = timestamp + (options.expiresInMs ?? TRON_DEFAULT_EXPIRATION_MS);
  const timing = { refBlock, timestamp, expiration };
  const native = chain.native?.symbol.toLowerCase() ?? 'trx';

  const { rows } = await db.query<{ address: string; derivation_index: string | number }>(
    `SELECT DISTINCT a.address, a.derivation_index FROM (
       SELECT address, derivation_index FROM deposits WHERE chain_id = $1
       UNION ALL SELECT address, derivation_index FROM abandoned_deposits WHERE chain_id = $1) a
     WHERE EXISTS (SELECT 1 FROM transfers t WHERE t.chain_id = $1 AND t.address = a.address)
     ORDER BY a.derivation_index`,
    [chain.id],
  );
  const held = options.replace ? new Map<string, TronHeldAddress>() : await heldTronAddresses(db, chain.id);
  const heldBack: TronHeldAddress[] = [];
  const treasuryHex = tronAddressToHex(treasury);
  // Whether the treasury holds each token: the first transfer to an empty address costs twice the energy.
  const treasuryHolds = new Map<string, boolean>();
  for (const token of chain.tokens) {
    const balance = await client.readContract({
      address: tronAddressToHex(token.address),
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [treasuryHex],
    });
    treasuryHolds.set(token.address, balance > 0n);
  }
  const topUps: Omit<TronExportedTransaction, 'step'>[] = [];
  const tokenSweeps: Omit<TronExportedTransaction, 'step'>[] = [];
  const coinSweeps: Omit<TronExportedTransaction, 'step'>[] = [];
  for (const row of rows) {
    const index = Number(row.derivation_index);
    const address = row.address;
    // Only the merchant's own addresses: a row the xpub does not derive is never signed for.
    if (deriveTronAddress(xpub, index) !== address) continue;
    // Skipped whole while anything of it is live: its top-up may be signed already.
    const holder = held.get(address);
    if (holder) {
      heldBack.push(holder);
      continue;
    }
    const hex = tronAddressToHex(address);
    let needs = 0n;
    for (const token of chain.tokens) {
      const balance = await client.readContract({
        address: tronAddressToHex(token.address),
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [hex],
      });
      if (balance === 0n) continue;
      const energy = treasuryHolds.get(token.address) ? TRC20_ENERGY_TO_HOLDER : TRC20_ENERGY_TO_EMPTY;
      treasuryHolds.set(token.address, true);
      needs += energy * energyPrice + TRC20_BANDWIDTH_SUN;
      const data = encodeFunctionData({
        abi: erc20Abi,
        functionName: 'transfer',
        args: [treasuryHex, balance],
      });
      tokenSweeps.push({
        purpose: 'sweep',
        signer: address,
        derivation_index: index,
        asset: `${token.symbol.toLowerCase()}@${chain.key}`,
        token_address: token.address,
        from: address,
        to: treasury,
        amount_atomic: balance.toString(),
        transaction: await buildTronTransaction(
          { type: 'TriggerSmartContract', owner: address, contract: token.address, data, feeLimit },
          timing,
        ),
      });
    }
    const coin = await client.getBalance({ address: hex });
    if (needs > 0n) {
      if (coin < needs) {
        const amount = needs - coin;
        topUps.push({
          purpose: 'top_up',
          signer: treasury,
          derivation_index: null,
          asset: `${native}@${chain.key}`,
          token_address: null,
          from: treasury,
          to: address,
          amount_atomic: amount.toString(),
          transaction: await buildTronTransaction(
            { type: 'TransferContract', owner: treasury, to: address, amount },
            timing,
          ),
        });
      }
      // Its TRX waits for the next export: what the USDT sweep burns is known only afterwards.
      continue;
    }
    if (coin > reserve) {
      const amount = coin - reserve;
      coinSweeps.push({
        purpose: 'sweep',
        signer: address,
        derivation_index: index,
        asset: `${native}@${chain.key}`,
        token_address: null,
        from: address,
        to: treasury,
        amount_atomic: amount.toString(),
        transaction: await buildTronTransaction(
          { type: 'TransferContract', owner: address, to: treasury, amount },
          timing,
        ),
      });
    }
  }
  return {
    format: TRON_SWEEP_EXPORT_FORMAT,
    version: 1,
    export_id: newTronExportId(),
    chain: chain.key,
    chain_id: chain.id,
    to: treasury,
    created_at: now.toISOString(),
    reference_block: { number: refBlock.number, id: refBlock.hash },
    expires_at: new Date(expiration).toISOString(),
    fees: {
      energy_price_sun: energyPrice.toString(),
      energy_to_empty: TRC20_ENERGY_TO_EMPTY.toString(),
      energy_to_holder: TRC20_ENERGY_TO_HOLDER.toString(),
      bandwidth_sun: TRC20_BANDWIDTH_SUN.toString(),
      fee_limit_sun: feeLimit.toString(),
      trx_reserve_sun: reserve.toString(),
    },
    transactions: [...topUps, ...tokenSweeps, ...coinSweeps].map((t, k) => ({ step: k + 1, ...t })),
    held_back: heldBack,
    supersedes: [],
  };
}
