/**
 * A local stand-in for a java-tron node's HTTP API: serves the recorded answers of
 * `tron-fixtures/` on 127.0.0.1 (`/wallet/getnowblock`, `/walletsolidity/getnowblock`), with the
 * block heights a test sets, so the solidified head can follow the anvil chain that stands in for
 * TRON's JSON-RPC. The one seam where TRON's HTTP API is faked; the reader that parses it is real.
 *
 * `/walletsolidity/gettransactioninfobyid` (what a transaction burned) answers from the anvil chain
 * given as `rpcUrl`: a transaction anvil has not mined is unknown (`{}`, as java-tron answers); a
 * mined one gets a recorded answer with its id, block and fees: the gas anvil charged (the stand-in's
 * energy, or bandwidth for a plain TRX transfer) plus what the test declared with {@link TronHttpApi.burn}
 * — the bandwidth a sender without free bandwidth burns, a new account's 1 TRX activation. anvil
 * burns no such thing: the test lowers the sender's balance by the same sun (`anvil_setBalance`)
 * after the transaction, so that the chain and what the "node" reports agree, as on TRON.
 *
 * `/walletsolidity/gettransactionbyid` and `/wallet/gettransactionbyid` (a transaction's contract
 * type; the full node's answers before it is solidified) answer a mined transaction
 * as a TRX transfer (`TransferContract`), or as a TRC-10 one when the test declared it with
 * {@link TronHttpApi.trc10}; `{}` for one anvil has not mined.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const fixture = (name: string): string =>
  readFileSync(new URL(`./tron-fixtures/${name}`, import.meta.url), 'utf8');

/** What the solidity endpoint answers: a recorded block at a height, or one of the recorded failures. */
export type SolidAnswer = number | 'not-synced' | 'error' | { status: number };

/** What `/walletsolidity/gettransactioninfobyid` answers: from the chain, or one of the recorded failures. */
export type TransactionInfoAnswer = 'chain' | 'not-found' | 'error' | { status: number };

/** TRX a transaction burned beyond the stand-in's gas, in sun, as java-tron reports it. */
export interface Burn {
  /** Bandwidth burned (`receipt.net_fee`): ~345 000 sun a USDT transfer, ~267 000 a TRX transfer. */
  net_fee?: bigint;
  /** A new account's activation (1 000 000 sun), in `fee` only: a TRX transfer to an unused address. */
  activation_fee?: bigint;
}

/** The running fixture server. */
export interface TronHttpApi {
  /** Base URL, the chain's `http_api_url`. */
  url: string;
  /** Sets what `/walletsolidity/getnowblock` answers from now on. */
  setSolid(answer: SolidAnswer): void;
  /** Sets the height `/wallet/getnowblock` answers. */
  setHead(height: number): void;
  /** Sets what `/walletsolidity/gettransactioninfobyid` answers from now on (default `'chain'`). */
  setTransactionInfo(answer: TransactionInfoAnswer): void;
  /** Declares what transaction `txid` burned beyond the stand-in's gas (once mined). */
  burn(txid: string, burn: Burn): void;
  /**
   * Declares transaction `txid` a TRC-10 transfer (`TransferAssetContract`) for
   * `/walletsolidity/gettransactionbyid`: anvil can only send its coin, which java-tron's JSON-RPC
   * shows the same for TRX and for a TRC-10 token (the amount as `value`).
   */
  trc10(txid: string): void;
  /** Requests per path so far. */
  count(path: string): number;
  close(): Promise<void>;
}

/**
 * The recorded block with its height (and the height prefix of its `blockID`) moved to `height`, and
 * its time to `time` when given (a head block is made every 3 s: its time is about now).
 */
function blockAt(recorded: string, height: number, time?: number): string {
  const block = JSON.parse(recorded) as {
    blockID: string;
    block_header: { raw_data: { number?: number; timestamp?: number } };
  };
  block.blockID = height.toString(16).padStart(16, '0') + block.blockID.slice(16);
  block.block_header.raw_data.number = height;
  if (time !== undefined) block.block_header.raw_data.timestamp = time;
  return JSON.stringify(block);
}

/** One JSON-RPC call to the anvil node. */
async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await response.json()) as { result: T }).result;
}

/**
 * The recorded `TransactionInfo` of a mined transaction, with its id, block and fees moved to the
 * transaction's: a TRC-20 call's shape (`energy_fee`, `net_fee`) when it has logs, a TransferContract's
 * otherwise (its gas counted as bandwidth); protobuf's JSON leaves out zero fields, so do these.
 */
async function transactionInfo(rpcUrl: string, txid: string, burn: Burn | undefined): Promise<string> {
  const receipt = await rpc<{
    blockNumber: string;
    gasUsed: string;
    effectiveGasPrice: string;
    logs: unknown[];
  } | null>(rpcUrl, 'eth_getTransactionReceipt', [`0x${txid}`]);
  if (!receipt) return fixture('walletsolidity-gettransactioninfobyid-not-found.json');
  const contract = receipt.logs.length > 0;
  const info = JSON.parse(
    fixture(`walletsolidity-gettransactioninfobyid-${contract ? 'trc20' : 'activation'}.json`),
  ) as Record<string, unknown> & { receipt: Record<string, unknown> };
  const gas = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
  const energyFee = contract ? gas : 0n;
  const netFee = (contract ? 0n : gas) + (burn?.net_fee ?? 0n);
  const fee = energyFee + netFee + (burn?.activation_fee ?? 0n);
  info.id = txid;
  info.blockNumber = Number(BigInt(receipt.blockNumber));
  const set = (target: Record<string, unknown>, key: string, value: bigint) => {
    if (value > 0n) target[key] = Number(value);
    else delete target[key];
  };
  set(info, 'fee', fee);
  set(info, 'packingFee', contract ? fee : 0n);
  set(info.receipt, 'energy_fee', energyFee);
  set(info.receipt, 'net_fee', netFee);
  return JSON.stringify(info);
}

/**
 * Starts the fixture server on a free port; with `rpcUrl` (the anvil node standing in for TRON's
 * JSON-RPC) it answers `/walletsolidity/gettransactioninfobyid` for its transactions.
 * @example const api = await startTronHttpApi({ rpcUrl: anvil.rpcUrl }); api.setSolid(5); chain.http_api_url = api.url;
 */
export async function startTronHttpApi(options: { rpcUrl?: string } = {}): Promise<TronHttpApi> {
  const head = fixture('wallet-getnowblock.json');
  const solid = fixture('walletsolidity-getnowblock.json');
  let headHeight = JSON.parse(head).block_header.raw_data.number as number;
  let solidAnswer: SolidAnswer = JSON.parse(solid).block_header.raw_data.number as number;
  let infoAnswer: TransactionInfoAnswer = 'chain';
  const burns = new Map<string, Burn>();
  const trc10 = new Set<string>();
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(`${body}\n`);
    };
    if (path === '/walletsolidity/gettransactionbyid' || path === '/wallet/gettransactionbyid') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const txid = String((JSON.parse(Buffer.concat(chunks).toString()) as { value?: unknown }).value);
        const known = options.rpcUrl
          ? rpc<unknown>(options.rpcUrl, 'eth_getTransactionReceipt', [`0x${txid}`])
          : Promise.resolve(null);
        known.then(
          (receipt) => {
            // As gettransactioninfobyid: `{}` for a transaction the node does not have.
            if (!receipt) return send(200, fixture('walletsolidity-gettransactioninfobyid-not-found.json'));
            const tx = JSON.parse(
              fixture(`walletsolidity-gettransactionbyid-${trc10.has(txid) ? 'trc10' : 'trx'}.json`),
            ) as { txID: string };
            tx.txID = txid;
            send(200, JSON.stringify(tx));
          },
          () => send(200, fixture('walletsolidity-error.json')),
        );
      });
      return;
    }
    if (path === '/walletsolidity/gettransactioninfobyid') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (infoAnswer === 'error') return send(200, fixture('walletsolidity-error.json'));
        if (typeof infoAnswer === 'object') return send(infoAnswer.status, '');
        if (infoAnswer === 'not-found' || !options.rpcUrl)
          return send(200, fixture('walletsolidity-gettransactioninfobyid-not-found.json'));
        const txid = String((JSON.parse(Buffer.concat(chunks).toString()) as { value?: unknown }).value);
        transactionInfo(options.rpcUrl, txid, burns.get(txid)).then(
          (body) => send(200, body),
          () => send(200, fixture('walletsolidity-error.json')),
        );
      });
      return;
    }
    request.resume();
    // The head's time is now, on TRON's 3 s grid: exported transactions expire by it.
    if (path === '/wallet/getnowblock')
      return send(200, blockAt(head, headHeight, Math.floor(Date.now() / 3_000) * 3_000));
    if (path === '/walletsolidity/getnowblock') {
      if (typeof solidAnswer === 'number') return send(200, blockAt(solid, solidAnswer));
      if (solidAnswer === 'not-synced')
        return send(200, fixture('walletsolidity-getnowblock-not-synced.json'));
      if (solidAnswer === 'error') return send(200, fixture('walletsolidity-error.json'));
      return send(solidAnswer.status, '');
    }
    send(404, '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setSolid: (answer) => void (solidAnswer = answer),
    setHead: (height) => void (headHeight = height),
    setTransactionInfo: (answer) => void (infoAnswer = answer),
    burn: (txid, burn) => void burns.set(txid.replace(/^0x/, '').toLowerCase(), burn),
    trc10: (txid) => void trc10.add(txid.replace(/^0x/, '').toLowerCase()),
    count: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
