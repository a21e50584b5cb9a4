/** Portuguese (Brazilian, pt-BR) messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Carregando o pagamento…',
  order: (id: string) => `Pedido ${id}`,
  retry: 'Tentar novamente',
  offline: 'A conexão com o servidor de pagamento caiu. Tentando novamente…',
  notFound: 'Não encontramos este pagamento. Peça um novo link de pagamento à loja.',
  unreachable: 'Não foi possível acessar o servidor de pagamento. Verifique sua conexão e tente novamente.',
  failed: (reason: string) => `Algo deu errado: ${reason}`,

  expiresIn: (time: string, at: string) => `Expira em ${time} (às ${at})`,
  timeUp: 'O tempo acabou, verificando…',
  methodGroup: 'Forma de pagamento',
  methodOn: (network: string) => `na rede ${network}`,

  network: 'Rede',
  token: 'Token',
  contract: 'contrato',
  amount: (token: string) => `Valor (${token})`,
  amountStillDue: (token: string) => `Valor pendente (${token})`,
  address: 'Endereço',
  copy: 'Copiar',
  copied: 'Copiado',
  copyLabel: { amount: 'Copiar valor', address: 'Copiar endereço' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QR Code: pague ${amount} ${token} na rede ${network} para ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `Enviar ${token} exige um pouco de ${coin} em ${network} para pagar a taxa de rede.`,
  gasUnknownCoin: 'moeda nativa da rede',
  gasNative: 'A taxa de rede é cobrada além do valor.',
  onlyThis: (token: string, network: string) =>
    `Envie apenas ${token} na rede ${network}; outros tokens ou redes não podem ser creditados.`,
  confirmations: 'Confirmações',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} na transação ${hash}`,
  transferLate: 'atrasado',
  transferNotAccepted: 'não aceito',
  transferToAbandonedAddress: 'para um endereço anterior: o lojista vai analisá-la',
  returnToMerchant: 'Voltar para a loja',
  sendOnlyOn: (token: string, network: string) => `Envie ${token} apenas na rede ${network}.`,
  sameAddressElsewhere:
    'O mesmo endereço existe em outras redes, mas o dinheiro enviado para lá não pode ser creditado.',
  paymentDetails: 'Detalhes do pagamento',
  rate: 'Cotação',
  rateLockedUntil: (time: string) => `fixada até ${time}`,
  confirmationsNeeded: 'Confirmações necessárias',
  changeMethod: 'Alterar método',
  extrasFailed:
    'Parte do pagamento não pôde ser carregada. Os dados de pagamento abaixo são tudo de que precisa.',
  steps: 'Progresso do pagamento',
  stepSent: 'Enviado',
  stepConfirming: (seen: number, needed: number) => `Confirmando ${seen}/${needed}`,
  stepPaid: 'Pago',
  receipt: 'Recibo',
  transfers: (count: number) => `Transferências (${count})`,
  receiptPaid: 'Pago',
  receiptDate: 'Data',
  receiptTransaction: 'Transação',
  receiptOrder: 'Pedido',
  startAgain: 'Começar de novo',

  // The status line (the live region).
  choose: 'Escolha como pagar',
  waiting: 'Aguardando pagamento',
  confirming: (seen: number, needed: number) => `Pagamento detectado — confirmando ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `Recebidos ${received} ${token} — faltam ${remaining} ${token}`,
  sendRemainder: (remaining: string, token: string) =>
    `Envie os ${remaining} ${token} restantes para o mesmo endereço.`,
  paid: 'Pagamento recebido. Obrigado!',
  overpaid: (excess: string, token: string) =>
    `Foram recebidos ${excess} ${token} a mais do que o devido; a loja pode reembolsar o excedente.`,
  paidLate: 'Recebido após o prazo — a loja vai analisar seu pagamento.',
  expired: 'Este pagamento expirou.',
  expiredUnpaid: 'Este pagamento não aceita mais transferências. Inicie um novo pagamento.',
  expiredPartly: (received: string, due: string, token: string) =>
    `Você enviou ${received} de ${due} ${token}; entre em contato com a loja para pedir o reembolso.`,
  canceled: 'Este pagamento foi cancelado.',
  canceledButSent: (received: string, token: string) =>
    `Mesmo assim, foram recebidos ${received} ${token}; a loja vai analisar a transferência.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `${amount} ${token} na rede ${network} foram recebidos, mas não são aceitos neste pagamento. A loja vai analisar a transferência.`,

  // Paying from a wallet.
  openInWallet: 'Abrir no app da carteira',
  wallet: {
    group: 'Pagar com uma carteira',
    heading: (amount: string, token: string) => `Pague ${amount} ${token} com uma carteira:`,
    browserWallet: 'Carteira do navegador',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— um app de carteira no seu celular',
    orManually: 'Ou envie você mesmo:',
    connecting: (wallet: string) => `Aguardando ${wallet}… Aprove a conexão lá.`,
    startingWalletConnect: 'Iniciando o WalletConnect…',
    pairing: 'Escaneie este código com o app da sua carteira ou abra o app neste dispositivo.',
    pairingQr: 'QR Code para conectar um app de carteira com o WalletConnect',
    openWalletApp: 'Abrir o app da carteira',
    switching: (wallet: string, network: string) =>
      `Mude ${wallet} para a rede ${network} quando for solicitado…`,
    checking: (wallet: string) => `Verificando o saldo em ${wallet}…`,
    pay: (amount: string, token: string) => `Pagar ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) =>
      `de ${account} (${wallet}) na rede ${network}`,
    confirm: (wallet: string) => `Confirme o pagamento em ${wallet}…`,
    openPeer: (wallet: string) => `Abrir ${wallet}`,
    sent: 'Enviado na transação',
    sentWaiting: 'Aguardando a confirmação da rede…',
    cancel: 'Cancelar',
    retry: 'Tentar novamente',
    another: 'Escolher outra carteira',
    // Errors.
    rejected: 'Você recusou a solicitação na sua carteira; nada foi enviado.',
    wrongNetwork: (network: string) =>
      `Sua carteira está em outra rede. Mude para ${network} (ou permita que ela adicione ${network}) e tente novamente.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `Esta carteira tem ${balance} ${token} na rede ${network}, mas o valor devido é ${due} ${token}. Adicione fundos ou escolha outra carteira.`,
    noGas: (coin: string, network: string) =>
      `Esta carteira precisa de um pouco de ${coin} em ${network} para pagar a taxa de rede, e o saldo é insuficiente. Adicione um pouco e tente novamente.`,
    disconnected: 'Sua carteira foi desconectada. Conecte-a novamente para pagar.',
    reverted: 'A transação falhou na rede (foi revertida); nada foi pago. Tente novamente.',
    busy: 'Sua carteira está aguardando a resposta a uma solicitação anterior: abra-a, responda e tente novamente.',
    failed: (reason: string) => `A carteira informou um problema: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Pagar com cripto',
    label: 'Pagamento com cripto',
    close: 'Fechar',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Pagamento para ${merchant}` : 'Conclua seu pagamento'),
    returnTo: (merchant: string) => (merchant ? `Voltar para ${merchant}` : 'Voltar à loja'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Cancelar e voltar para ${merchant}` : 'Cancelar e voltar à loja',
    incomplete: 'Este link de pagamento está incompleto. Volte à loja e inicie o pagamento novamente.',
    returnNote: 'Seu pagamento fica registrado mesmo se você fechar esta página.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `Envie ${token} somente na rede ${network}. ${token} enviados para este endereço a partir de outra rede (Ethereum, BNB Smart Chain, …) são perdidos.`,
    fee: (token: string) =>
      `Enviar ${token} na TRON queima cerca de 6,4–13 TRX em energia: mantenha TRX na carteira de envio, ou a transferência falha. Um saque de uma corretora já paga isso.`,
  },
};
export default messages;
