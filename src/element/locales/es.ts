/** Spanish messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Cargando el pago…',
  order: (id: string) => `Pedido ${id}`,
  retry: 'Reintentar',
  offline: 'Se perdió la conexión con el servidor de pagos. Reintentando…',
  notFound: 'No se encontró este pago. Pide al comercio un nuevo enlace de pago.',
  unreachable: 'No se pudo conectar con el servidor de pagos. Revisa tu conexión e inténtalo de nuevo.',
  failed: (reason: string) => `Algo salió mal: ${reason}`,

  expiresIn: (time: string, at: string) => `Expira en ${time} (a las ${at})`,
  timeUp: 'Se acabó el tiempo; comprobando…',
  methodGroup: 'Método de pago',
  methodOn: (network: string) => `en ${network}`,

  network: 'Red',
  token: 'Token',
  contract: 'contrato',
  amount: (token: string) => `Importe (${token})`,
  amountStillDue: (token: string) => `Importe pendiente (${token})`,
  address: 'Dirección',
  copy: 'Copiar',
  copied: 'Copiado',
  copyLabel: { amount: 'Copiar importe', address: 'Copiar dirección' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `Código QR: paga ${amount} ${token} en ${network} a ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `Enviar ${token} requiere un poco de ${coin} en ${network} para pagar la comisión de red.`,
  gasUnknownCoin: 'la moneda propia de la red',
  gasNative: 'La comisión de red se paga además del importe.',
  onlyThis: (token: string, network: string) =>
    `Envía solo ${token} en ${network}; los envíos de otros tokens o en otras redes no se pueden acreditar.`,
  confirmations: 'Confirmaciones',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} en ${hash}`,
  transferLate: 'fuera de plazo',
  transferNotAccepted: 'no aceptado',
  transferToAbandonedAddress: 'a una dirección anterior: el comercio la revisará',
  returnToMerchant: 'Volver al comercio',
  sendOnlyOn: (token: string, network: string) => `Envía ${token} solo en ${network}.`,
  sameAddressElsewhere:
    'La misma dirección existe en otras redes, pero el dinero enviado allí no se puede acreditar.',
  paymentDetails: 'Detalles del pago',
  rate: 'Tipo de cambio',
  rateLockedUntil: (time: string) => `fijado hasta las ${time}`,
  confirmationsNeeded: 'Confirmaciones necesarias',
  changeMethod: 'Cambiar método',
  extrasFailed: 'Parte del pago no se pudo cargar. Los datos de pago de abajo son todo lo que necesita.',
  steps: 'Progreso del pago',
  stepSent: 'Enviado',
  stepConfirming: (seen: number, needed: number) => `Confirmando ${seen}/${needed}`,
  stepPaid: 'Pagado',
  receipt: 'Recibo',
  transfers: (count: number) => `Transferencias (${count})`,
  receiptPaid: 'Pagado',
  receiptDate: 'Fecha',
  receiptTransaction: 'Transacción',
  receiptOrder: 'Pedido',
  startAgain: 'Empezar de nuevo',

  // The status line (the live region).
  choose: 'Elige cómo pagar',
  waiting: 'Esperando el pago',
  confirming: (seen: number, needed: number) => `Pago detectado — confirmando ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `Recibido: ${received} ${token} — faltan ${remaining} ${token}`,
  sendRemainder: (remaining: string, token: string) =>
    `Envía los ${remaining} ${token} restantes a la misma dirección.`,
  paid: 'Pago recibido. ¡Gracias!',
  overpaid: (excess: string, token: string) =>
    `Se recibieron ${excess} ${token} más de lo debido; el comercio puede reembolsar el excedente.`,
  paidLate: 'Recibido después del vencimiento — el comercio revisará tu pago.',
  expired: 'Este pago ha expirado.',
  expiredUnpaid: 'Este pago ya no admite transferencias. Inicia un pago nuevo.',
  expiredPartly: (received: string, due: string, token: string) =>
    `Enviaste ${received} de ${due} ${token}; contacta con el comercio para solicitar un reembolso.`,
  canceled: 'Este pago se canceló.',
  canceledButSent: (received: string, token: string) =>
    `Aun así se recibieron ${received} ${token}; el comercio lo revisará.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `Se recibieron ${amount} ${token} en ${network}, pero este pago no los acepta. El comercio lo revisará.`,

  // Paying from a wallet.
  openInWallet: 'Abrir en la app de billetera',
  wallet: {
    group: 'Pagar con una billetera',
    heading: (amount: string, token: string) => `Paga ${amount} ${token} desde una billetera:`,
    browserWallet: 'Billetera del navegador',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— una app de billetera en tu teléfono',
    orManually: 'O envíalo tú mismo:',
    connecting: (wallet: string) => `Esperando a ${wallet}… Aprueba la conexión allí.`,
    startingWalletConnect: 'Iniciando WalletConnect…',
    pairing: 'Escanea este código con tu app de billetera o abre la app en este dispositivo.',
    pairingQr: 'Código QR para conectar una app de billetera con WalletConnect',
    openWalletApp: 'Abrir la app de billetera',
    switching: (wallet: string, network: string) => `Cambia ${wallet} a ${network} cuando te lo pida…`,
    checking: (wallet: string) => `Comprobando el saldo en ${wallet}…`,
    pay: (amount: string, token: string) => `Pagar ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) => `desde ${account} (${wallet}) en ${network}`,
    confirm: (wallet: string) => `Confirma el pago en ${wallet}…`,
    openPeer: (wallet: string) => `Abrir ${wallet}`,
    sent: 'Enviado en la transacción',
    sentWaiting: 'Esperando a que la red la confirme…',
    cancel: 'Cancelar',
    retry: 'Reintentar',
    another: 'Elegir otra billetera',
    // Errors.
    rejected: 'Rechazaste la solicitud en tu billetera; no se envió nada.',
    wrongNetwork: (network: string) =>
      `Tu billetera está en otra red. Cámbiala a ${network} (o deja que añada ${network}) y vuelve a intentarlo.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `Esta billetera tiene ${balance} ${token} en ${network}, pero hay que pagar ${due} ${token}. Añade fondos o elige otra billetera.`,
    noGas: (coin: string, network: string) =>
      `Esta billetera necesita un poco de ${coin} en ${network} para pagar la comisión de red y no tiene suficiente. Añade un poco y vuelve a intentarlo.`,
    disconnected: 'Tu billetera se desconectó. Vuelve a conectarla para pagar.',
    reverted: 'La transacción falló en la red (fue revertida); no se pagó nada. Vuelve a intentarlo.',
    busy: 'Tu billetera espera una respuesta a una solicitud anterior: ábrela, respóndela y vuelve a intentarlo.',
    failed: (reason: string) => `La billetera informó de un problema: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Pagar con cripto',
    label: 'Pago con criptomonedas',
    close: 'Cerrar',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Pagar a ${merchant}` : 'Completa tu pago'),
    returnTo: (merchant: string) => (merchant ? `Volver a ${merchant}` : 'Volver al comercio'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Cancelar y volver a ${merchant}` : 'Cancelar y volver al comercio',
    incomplete: 'Este enlace de pago está incompleto. Vuelve al comercio e inicia el pago de nuevo.',
    returnNote: 'Tu pago queda registrado aunque cierres esta página.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `Envía ${token} solo en ${network}. Los ${token} enviados a esta dirección desde otra red (Ethereum, BNB Smart Chain, …) se pierden.`,
    fee: (token: string) =>
      `Enviar ${token} en TRON quema unos 6,4–13 TRX de energía: ten TRX en la cartera de envío o la transferencia fallará. Un retiro desde un exchange ya lo paga.`,
  },
};
export default messages;
