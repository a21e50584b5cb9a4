/**
 * Builds the EIP-681 payment request URI that wallets read from the QR code.
 * ERC-20: `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<atomic>`;
 * native coin: `ethereum:<to>@<chainId>?value=<atomic>`.
 * @example eip681Uri({ to: '0xAb…', chainId: 8453, amountAtomic: 1000000n, token: '0xUSDC…' })
 */
export function eip681Uri(request: {
  to: string;
  chainId: number;
  amountAtomic: bigint;
  token: string | null;
}): string {
  if (request.token) {
    return `ethereum:${request.token}@${request.chainId}/transfer?address=${request.to}&uint256=${request.amountAtomic}`;
  }
  return `ethereum:${request.to}@${request.chainId}?value=${request.amountAtomic}`;
}
