/**
 * The watch-only wallet on the merchant's node that sees payments to the deposit addresses: created
 * blank and without private keys, fed the account's receive descriptor for a range of indexes that
 * grows ahead of the deposit index, never rescanned (fresh addresses have no history). A node with
 * descriptor wallets (Bitcoin Core ≥ 0.21 built with sqlite; the only kind from Bitcoin Core 30 on)
 * takes `importdescriptors`; one without (Debian's Litecoin Core 0.21, "Compiled without sqlite
 * support") gets a legacy watch-only wallet and `importmulti`. Which one is decided by what the node
 * answers, not by its version number.
 * @module
 */
import { deriveUtxoAddress, receiveDescriptor, type UtxoAccountKey } from './account-key.js';
import { NodeRpcError, type NodeRpc } from './node-rpc.js';

/** Addresses are imported this far past the highest deposit index seen. */
export const IMPORT_AHEAD = 1_000;
/** The range is extended when the highest index comes this close to its end. */
const EXTEND_WHEN_WITHIN = 500;

/** The node's wallet does not match the server's derivation, or cannot be used watch-only. */
export class NodeWalletError extends Error {
  override name = 'NodeWalletError';
}

/** The watch-only wallet, opened (see {@link openNodeWallet}). */
export interface NodeWallet {
  /** The wallet's name on the node (RPC calls go to `/wallet/<name>`). */
  readonly name: string;
  /** Whether it is a descriptor wallet (`importdescriptors`) or a legacy one (`importmulti`). */
  readonly descriptors: boolean;
  /** The descriptor with its checksum, as the node canonicalised it. */
  readonly descriptor: string;
  /** The highest index imported so far. */
  importedTo(): number;
  /** Imports addresses so that the range reaches {@link IMPORT_AHEAD} past `highestIndex`, when it does not. */
  ensureRange(highestIndex: number): Promise<void>;
}

/**
 * Loads (or creates) the wallet `name`, checks it holds no private keys, checks the node derives the
 * same addresses as the server (`deriveaddresses` at `checkIndexes`), and imports the receive range
 * from `fromIndex` to {@link IMPORT_AHEAD} past `highestIndex`.
 * @example const wallet = await openNodeWallet({ rpc, name: 'crypto-checkout-litecoin', key, fromIndex: 0, highestIndex: 41 })
 */
export async function openNodeWallet(options: {
  rpc: NodeRpc;
  name: string;
  key: UtxoAccountKey;
  fromIndex: number;
  highestIndex: number;
  /** The branch imported: 0, the receive addresses (default); 1, the treasury (`key.receive` must be m/…/1). */
  branch?: 0 | 1;
}): Promise<NodeWallet> {
  const { rpc, name, key } = options;
  const loaded = await rpc<string[]>('listwallets');
  if (!loaded.includes(name)) {
    try {
      await rpc('loadwallet', [name]);
    } catch (error) {
      if (!(error instanceof NodeRpcError) || error.code !== -18) throw error;
      await createWatchOnlyWallet(rpc, name);
    }
  }
  const info = await rpc<{ private_keys_enabled: boolean; descriptors?: boolean }>('getwalletinfo', [], name);
  if (info.private_keys_enabled) {
    throw new NodeWalletError(
      `the node's wallet "${name}" can hold private keys; give the server a watch-only wallet of its own (another wallet name)`,
    );
  }
  const { descriptor } = await rpc<{ descriptor: string }>('getdescriptorinfo', [
    receiveDescriptor(key, options.branch ?? 0),
  ]);
  await crossCheck(rpc, descriptor, key, [0, 1, Math.max(0, options.highestIndex)]);
  const descriptors = info.descriptors === true;
  let importedTo = -1;
  const importRange = async (from: number, to: number) => {
    // A descriptor wallet refuses a range that does not include the one it has ("new range must
    // include current range"): widen it to cover what is there (from an earlier run too).
    if (descriptors) [from, to] = await widenToStored(rpc, name, descriptor, from, to);
    const request = { desc: descriptor, range: [from, to], timestamp: 'now' };
    const results = descriptors
      ? await rpc<{ success: boolean; error?: { message: string } }[]>(
          'importdescriptors',
          [[{ ...request, active: false }]],
          name,
        )
      : await rpc<{ success: boolean; error?: { message: string } }[]>(
          'importmulti',
          [[{ ...request, watchonly: true }], { rescan: false }],
          name,
        );
    const failed = results.find((result) => !result.success);
    if (failed)
      throw new NodeWalletError(
        `the node refused the descriptor: ${failed.error?.message ?? 'no reason given'}`,
      );
    importedTo = Math.max(importedTo, to);
  };
  await importRange(
    Math.max(0, Math.min(options.fromIndex, options.highestIndex)),
    Math.max(0, options.highestIndex) + IMPORT_AHEAD,
  );
  return {
    name,
    descriptors,
    descriptor,
    importedTo: () => importedTo,
    async ensureRange(highestIndex) {
      if (highestIndex + EXTEND_WHEN_WITHIN > importedTo) {
        await importRange(importedTo + 1, highestIndex + IMPORT_AHEAD);
      }
    },
  };
}

/** `[from, to]` widened to include the range a descriptor wallet already has for `descriptor`. */
async function widenToStored(
  rpc: NodeRpc,
  wallet: string,
  descriptor: string,
  from: number,
  to: number,
): Promise<[number, number]> {
  const bare = (desc: string) => desc.replace(/#[a-z0-9]+$/, '');
  const { descriptors } = await rpc<{ descriptors: { desc: string; range?: [number, number] }[] }>(
    'listdescriptors',
    [],
    wallet,
  );
  const stored = descriptors.find((d) => bare(d.desc) === bare(descriptor))?.range;
  return stored ? [Math.min(from, stored[0]), Math.max(to, stored[1])] : [from, to];
}

/** Creates a blank wallet without private keys: a descriptor wallet where the node can, else legacy. */
async function createWatchOnlyWallet(rpc: NodeRpc, name: string): Promise<void> {
  try {
    // wallet_name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors
    await rpc('createwallet', [name, true, true, '', false, true]);
  } catch (error) {
    // Litecoin Core 0.21 from Debian: "Compiled without sqlite support (required for descriptor wallets)".
    if (!(error instanceof NodeRpcError) || !/sqlite|descriptor/i.test(error.message)) throw error;
    await rpc('createwallet', [name, true, true]);
  }
}

/**
 * Holds the server's derivation to the node's: `deriveaddresses` at each index must answer the
 * address the server gives buyers, or money would go where the wallet does not look.
 * @example await crossCheck(rpc, 'wpkh(tpub…/0/*)#abcd1234', key, [0, 1, 57])
 */
export async function crossCheck(
  rpc: NodeRpc,
  descriptor: string,
  key: UtxoAccountKey,
  indexes: number[],
): Promise<void> {
  for (const index of new Set(indexes)) {
    const [fromNode] = await rpc<string[]>('deriveaddresses', [descriptor, [index, index]]);
    const ours = deriveUtxoAddress(key, index);
    if (fromNode !== ours) {
      throw new NodeWalletError(
        `the node derives ${fromNode} at index ${index} where the server derives ${ours}: check the chain's xpub, address_type and utxo_network`,
      );
    }
  }
}
