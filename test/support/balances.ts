/**
 * `GET /v1/balances` as the treasury tests read it: every asset's balances, decimal strings.
 */
import assert from 'node:assert/strict';

/** One asset's balances, as the API answers them. */
export interface BalanceRow {
  asset: string;
  received: string;
  in_deposit_addresses: string;
  in_treasury: string;
  pending_payouts: string;
  available: string;
}

/** Reads `GET /v1/balances` of the server at `url` with `secretKey` (asserting a 200). */
export async function fetchBalances(url: string, secretKey: string): Promise<BalanceRow[]> {
  const response = await fetch(`${url}/v1/balances`, { headers: { authorization: `Bearer ${secretKey}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: BalanceRow[] }).data;
}
