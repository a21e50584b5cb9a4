/** Chinese (Simplified, zh-CN) messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: '正在加载支付页面…',
  order: (id: string) => `订单号：${id}`,
  retry: '重试',
  offline: '与支付服务器的连接已断开，正在重试…',
  notFound: '找不到此支付。请向商家索取新的支付链接。',
  unreachable: '无法连接支付服务器。请检查网络连接后重试。',
  failed: (reason: string) => `出现问题：${reason}`,

  expiresIn: (time: string, at: string) => `剩余 ${time}（${at} 过期）`,
  timeUp: '时间已到，正在核对…',
  methodGroup: '支付方式',
  methodOn: (network: string) => `${network} 网络`,

  network: '网络',
  token: '代币',
  contract: '合约',
  amount: (token: string) => `金额（${token}）`,
  amountStillDue: (token: string) => `待付金额（${token}）`,
  address: '地址',
  copy: '复制',
  copied: '已复制',
  copyLabel: { amount: '复制金额', address: '复制地址' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `二维码：在 ${network} 上向 ${address} 支付 ${amount} ${token}`,
  gasToken: (token: string, coin: string, network: string) =>
    `发送 ${token} 需要在 ${network} 上持有少量 ${coin}，用于支付网络手续费。`,
  gasUnknownCoin: '该网络的原生代币',
  gasNative: '网络手续费需在金额之外另行支付。',
  onlyThis: (token: string, network: string) =>
    `请仅发送 ${network} 上的 ${token}；其他代币或其他网络上的转账无法入账。`,
  confirmations: '确认数',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token}，交易 ${hash}`,
  transferLate: '逾期',
  transferNotAccepted: '未被接受',
  transferToAbandonedAddress: '发往之前的地址：商家将进行核查',
  returnToMerchant: '返回商家',
  sendOnlyOn: (token: string, network: string) => `仅在 ${network} 上发送 ${token}。`,
  sameAddressElsewhere: '同一地址也存在于其他网络，但发送到那里的资金无法入账。',
  paymentDetails: '付款详情',
  rate: '汇率',
  rateLockedUntil: (time: string) => `锁定至 ${time}`,
  confirmationsNeeded: '所需确认数',
  changeMethod: '更换方式',
  extrasFailed: '部分结账页面未能加载。以下付款信息足以完成付款。',
  steps: '付款进度',
  stepSent: '已发送',
  stepConfirming: (seen: number, needed: number) => `确认中 ${seen}/${needed}`,
  stepPaid: '已付款',
  receipt: '收据',
  transfers: (count: number) => `转账（${count}）`,
  receiptPaid: '已付款',
  receiptDate: '日期',
  receiptTransaction: '交易',
  receiptOrder: '订单',
  startAgain: '重新开始',

  // The status line (the live region).
  choose: '选择支付方式',
  waiting: '等待付款',
  confirming: (seen: number, needed: number) => `已检测到付款，正在确认（${seen}/${needed}）`,
  underpaid: (received: string, remaining: string, token: string) =>
    `已收到 ${received} ${token}，仍需支付 ${remaining} ${token}`,
  sendRemainder: (remaining: string, token: string) => `请将剩余的 ${remaining} ${token} 发送到同一地址。`,
  paid: '已收到付款，谢谢！',
  overpaid: (excess: string, token: string) => `多收到 ${excess} ${token}；商家可以退还多付的部分。`,
  paidLate: '付款在过期后到账，商家将审核您的付款。',
  expired: '此支付已过期。',
  expiredUnpaid: '此支付已不再接受付款。请重新发起支付。',
  expiredPartly: (received: string, due: string, token: string) =>
    `您已发送 ${received} ${token}（应付 ${due} ${token}）；请联系商家办理退款。`,
  canceled: '此支付已取消。',
  canceledButSent: (received: string, token: string) => `但仍收到了 ${received} ${token}；商家将进行审核。`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `已收到 ${network} 上的 ${amount} ${token}，但此支付不接受该资产。商家将进行审核。`,

  // Paying from a wallet.
  openInWallet: '在钱包应用中打开',
  wallet: {
    group: '使用钱包支付',
    heading: (amount: string, token: string) => `从钱包支付 ${amount} ${token}：`,
    browserWallet: '浏览器钱包',
    walletConnect: 'WalletConnect',
    walletConnectHint: '—— 手机上的钱包应用',
    orManually: '或者自行转账：',
    connecting: (wallet: string) => `正在等待 ${wallet}…请在其中批准连接。`,
    startingWalletConnect: '正在启动 WalletConnect…',
    pairing: '请用钱包应用扫描此二维码，或在本设备上打开该应用。',
    pairingQr: '通过 WalletConnect 连接钱包应用的二维码',
    openWalletApp: '打开钱包应用',
    switching: (wallet: string, network: string) => `${wallet} 提示时，请切换到 ${network}…`,
    checking: (wallet: string) => `正在检查 ${wallet} 中的余额…`,
    pay: (amount: string, token: string) => `支付 ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) =>
      `付款账户：${account}（${wallet}），${network}`,
    confirm: (wallet: string) => `请在 ${wallet} 中确认付款…`,
    openPeer: (wallet: string) => `打开 ${wallet}`,
    sent: '已发送，交易：',
    sentWaiting: '正在等待网络确认…',
    cancel: '取消',
    retry: '重试',
    another: '选择其他钱包',
    // Errors.
    rejected: '您已在钱包中拒绝该请求，未发送任何资金。',
    wrongNetwork: (network: string) =>
      `您的钱包当前连接的是其他网络。请切换到 ${network}（或允许钱包添加 ${network}），然后重试。`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `此钱包在 ${network} 上有 ${balance} ${token}，但应付 ${due} ${token}。请充值或选择其他钱包。`,
    noGas: (coin: string, network: string) =>
      `此钱包需要在 ${network} 上持有少量 ${coin} 来支付网络手续费，但余额不足。请充值后重试。`,
    disconnected: '钱包已断开连接。请重新连接以完成支付。',
    reverted: '交易在网络上执行失败（已回滚），未支付任何款项。请重试。',
    busy: '您的钱包正在等待您处理之前的请求：请打开钱包处理该请求，然后重试。',
    failed: (reason: string) => `钱包报告了一个问题：${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: '使用加密货币支付',
    label: '加密货币支付',
    close: '关闭',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `向 ${merchant} 付款` : '完成付款'),
    returnTo: (merchant: string) => (merchant ? `返回 ${merchant}` : '返回商家'),
    cancelAndReturn: (merchant: string) => (merchant ? `取消并返回 ${merchant}` : '取消并返回商家'),
    incomplete: '此支付链接不完整。请返回商家页面重新发起支付。',
    returnNote: '即使关闭此页面，您的付款也会被记录。',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `只能通过 ${network} 发送 ${token}。从其他网络（Ethereum、BNB Smart Chain 等）发送到此地址的 ${token} 将会丢失。`,
    fee: (token: string) =>
      `在 TRON 上发送 ${token} 会燃烧约 6.4–13 TRX 作为能量费：请在发送钱包中保留 TRX，否则转账会失败。从交易所提现时由交易所支付此费用。`,
  },
};
export default messages;
