/**
 * Development accounts of a local anvil node, for Node (dev-chain.ts) and the browser (dev-wallet.ts).
 * @module
 */

/**
 * Anvil's first well-known development account. Its key is public knowledge: it only ever holds
 * play money on a local node.
 */
export const DEV_PAYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;
