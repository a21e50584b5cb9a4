/**
 * The wallet interface the element speaks (EIP-1193) and how its errors are told apart.
 * @module
 */

/** An EIP-1193 provider: an injected wallet, WalletConnect's provider or the development wallet. */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
  on?(event: string, listener: (...args: never[]) => void): unknown;
  removeListener?(event: string, listener: (...args: never[]) => void): unknown;
}

/** What went wrong in the wallet flow, as the `code` of `checkout-error`. */
export type WalletErrorCode =
  /** The buyer declined a request in the wallet (EIP-1193 4001). */
  | 'wallet_rejected'
  /** The wallet is on another network and could not or would not switch (4902, or 4001 on switching). */
  | 'wallet_wrong_network'
  /** The wallet holds less of the token (or coin) than is due. */
  | 'wallet_insufficient_funds'
  /** The wallet lacks the chain's native coin for the network fee. */
  | 'wallet_no_gas'
  /** The wallet disconnected (4900/4901, a `disconnect` event, or it dropped every account). */
  | 'wallet_disconnected'
  /** The transaction was mined but failed (status 0): nothing was paid. */
  | 'wallet_transaction_reverted'
  /** The wallet is still busy with an earlier request (-32002). */
  | 'wallet_busy'
  /** Anything else the wallet reported. */
  | 'wallet_error';

/**
 * An error of the wallet flow with a code the element can explain. `message` is for developers;
 * the element shows its own text for each code.
 */
export class WalletError extends Error {
  override name = 'WalletError';
  constructor(
    readonly code: WalletErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The EIP-1193 / JSON-RPC error code of anything a provider (or viem wrapping one) threw, looking
 * through `cause` and `data.originalError`, where some wallets (MetaMask mobile) hide 4902; or
 * `undefined`.
 * @example rpcErrorCode({ code: 4001, message: 'User rejected the request.' }) // 4001
 */
export function rpcErrorCode(error: unknown): number | undefined {
  const seen = new Set<unknown>();
  const queue = [error];
  let found: number | undefined;
  while (queue.length) {
    const e = queue.shift() as { code?: unknown; cause?: unknown; data?: { originalError?: unknown } } | null;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    // The outermost code, unless it is the generic -32603 (internal error) around a specific one.
    if (typeof e.code === 'number' && (found === undefined || found === -32603)) found = e.code;
    queue.push(e.data?.originalError, e.cause);
  }
  return found;
}

/** The text of an error and its causes, for the heuristics of wallets that send no code. */
const errorText = (error: unknown): string => {
  const parts: string[] = [];
  let e = error as { message?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.message === 'string') parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.join(' ');
};

/** Whether the buyer declined a request (4001, or a wallet that only says so in words). */
export const isUserRejection = (error: unknown): boolean =>
  rpcErrorCode(error) === 4001 || /user (rejected|denied|cancel)/i.test(errorText(error));

/** Whether a chain switch failed because the wallet does not know the chain (4902). */
export const isUnknownChain = (error: unknown): boolean =>
  rpcErrorCode(error) === 4902 ||
  /unrecognized chain|unknown chain|chain .*not (been )?added/i.test(errorText(error));

/**
 * Classifies anything the wallet flow threw. A {@link WalletError} keeps its code.
 * @example walletErrorCode({ code: 4001 }) // 'wallet_rejected'
 */
export function walletErrorCode(error: unknown): WalletErrorCode {
  if (error instanceof WalletError) return error.code;
  const code = rpcErrorCode(error);
  if (isUserRejection(error)) return 'wallet_rejected';
  if (code === 4900 || code === 4901 || /disconnected/i.test(errorText(error))) return 'wallet_disconnected';
  if (code === -32002) return 'wallet_busy';
  return 'wallet_error';
}

/** A short reason from a wallet error for the buyer: the wallet's own words, without stack or data. */
export function walletErrorReason(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown } | null;
  const text =
    typeof e?.shortMessage === 'string' ? e.shortMessage : typeof e?.message === 'string' ? e.message : '';
  return text.split('\n')[0]!.slice(0, 200) || String(error).slice(0, 200);
}
