/** Russian messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'Загрузка оплаты…',
  order: (id: string) => `Заказ ${id}`,
  retry: 'Повторить',
  offline: 'Соединение с платёжным сервером потеряно. Переподключаемся…',
  notFound: 'Платёж не найден. Попросите продавца прислать новую ссылку на оплату.',
  unreachable: 'Не удалось подключиться к платёжному серверу. Проверьте подключение и попробуйте снова.',
  failed: (reason: string) => `Что-то пошло не так: ${reason}`,

  expiresIn: (time: string, at: string) => `Истекает через ${time} (в ${at})`,
  timeUp: 'Время вышло, проверяем…',
  methodGroup: 'Способ оплаты',
  methodOn: (network: string) => `в сети ${network}`,

  network: 'Сеть',
  token: 'Токен',
  contract: 'контракт',
  amount: (token: string) => `Сумма (${token})`,
  amountStillDue: (token: string) => `Осталось оплатить (${token})`,
  address: 'Адрес',
  copy: 'Копировать',
  copied: 'Скопировано',
  copyLabel: { amount: 'Копировать сумму', address: 'Копировать адрес' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `QR-код: оплатите ${amount} ${token} в сети ${network} на адрес ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `Чтобы отправить ${token}, нужно немного ${coin} в сети ${network} на комиссию сети.`,
  gasUnknownCoin: 'нативной монеты сети',
  gasNative: 'Комиссия сети оплачивается сверх суммы.',
  onlyThis: (token: string, network: string) =>
    `Отправляйте только ${token} в сети ${network}; другие токены и переводы в других сетях не будут зачислены.`,
  confirmations: 'Подтверждения',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token}, транзакция ${hash}`,
  transferLate: 'с опозданием',
  transferNotAccepted: 'не принято',
  transferToAbandonedAddress: 'на прежний адрес: продавец проверит её',
  returnToMerchant: 'Вернуться к продавцу',
  sendOnlyOn: (token: string, network: string) => `Отправляйте ${token} только в сети ${network}.`,
  sameAddressElsewhere:
    'Такой же адрес есть и в других сетях, но отправленные туда деньги не будут зачислены.',
  paymentDetails: 'Детали платежа',
  rate: 'Курс',
  rateLockedUntil: (time: string) => `зафиксирован до ${time}`,
  confirmationsNeeded: 'Нужно подтверждений',
  changeMethod: 'Сменить способ',
  extrasFailed: 'Часть страницы оплаты не загрузилась. Для оплаты достаточно данных ниже.',
  steps: 'Ход платежа',
  stepSent: 'Отправлено',
  stepConfirming: (seen: number, needed: number) => `Подтверждение ${seen}/${needed}`,
  stepPaid: 'Оплачено',
  receipt: 'Квитанция',
  transfers: (count: number) => `Переводы (${count})`,
  receiptPaid: 'Оплачено',
  receiptDate: 'Дата',
  receiptTransaction: 'Транзакция',
  receiptOrder: 'Заказ',
  startAgain: 'Начать заново',

  // The status line (the live region).
  choose: 'Выберите способ оплаты',
  waiting: 'Ожидаем оплату',
  confirming: (seen: number, needed: number) => `Платёж обнаружен — подтверждение ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `Получено ${received} ${token} — осталось оплатить ${remaining} ${token}`,
  sendRemainder: (remaining: string, token: string) =>
    `Отправьте оставшиеся ${remaining} ${token} на тот же адрес.`,
  paid: 'Платёж получен. Спасибо!',
  overpaid: (excess: string, token: string) =>
    `Получено на ${excess} ${token} больше, чем нужно; продавец может вернуть излишек.`,
  paidLate: 'Платёж получен после истечения срока — продавец его рассмотрит.',
  expired: 'Срок действия этого платежа истёк.',
  expiredUnpaid: 'Платежи по этой ссылке больше не принимаются. Начните оплату заново.',
  expiredPartly: (received: string, due: string, token: string) =>
    `Вы отправили ${received} из ${due} ${token}; свяжитесь с продавцом, чтобы вернуть средства.`,
  canceled: 'Этот платёж отменён.',
  canceledButSent: (received: string, token: string) =>
    `Тем не менее получено ${received} ${token}; продавец рассмотрит этот перевод.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `Получено ${amount} ${token} в сети ${network}, но этот платёж их не принимает. Продавец рассмотрит этот перевод.`,

  // Paying from a wallet.
  openInWallet: 'Открыть в приложении кошелька',
  wallet: {
    group: 'Оплата кошельком',
    heading: (amount: string, token: string) => `Оплатите ${amount} ${token} из кошелька:`,
    browserWallet: 'Кошелёк в браузере',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— приложение-кошелёк на телефоне',
    orManually: 'Или отправьте вручную:',
    connecting: (wallet: string) => `Ожидаем ${wallet}… Подтвердите подключение в кошельке.`,
    startingWalletConnect: 'Запуск WalletConnect…',
    pairing: 'Отсканируйте этот код в приложении кошелька или откройте приложение на этом устройстве.',
    pairingQr: 'QR-код для подключения приложения кошелька через WalletConnect',
    openWalletApp: 'Открыть приложение кошелька',
    switching: (wallet: string, network: string) =>
      `Переключите ${wallet} на сеть ${network}, когда появится запрос…`,
    checking: (wallet: string) => `Проверяем баланс в ${wallet}…`,
    pay: (amount: string, token: string) => `Оплатить ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) => `с ${account} (${wallet}) в сети ${network}`,
    confirm: (wallet: string) => `Подтвердите платёж в ${wallet}…`,
    openPeer: (wallet: string) => `Открыть ${wallet}`,
    sent: 'Отправлено в транзакции',
    sentWaiting: 'Ждём подтверждения от сети…',
    cancel: 'Отмена',
    retry: 'Повторить',
    another: 'Выбрать другой кошелёк',
    // Errors.
    rejected: 'Вы отклонили запрос в кошельке; ничего не отправлено.',
    wrongNetwork: (network: string) =>
      `Кошелёк подключён к другой сети. Переключите его на ${network} (или разрешите ему добавить ${network}) и попробуйте снова.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `В этом кошельке ${balance} ${token} в сети ${network}, а к оплате ${due} ${token}. Пополните баланс или выберите другой кошелёк.`,
    noGas: (coin: string, network: string) =>
      `Для оплаты комиссии сети кошельку нужно немного ${coin} в сети ${network}, но баланса не хватает. Пополните его и попробуйте снова.`,
    disconnected: 'Кошелёк отключился. Подключите его снова, чтобы оплатить.',
    reverted: 'Транзакция не прошла в сети (откат транзакции); ничего не оплачено. Попробуйте снова.',
    busy: 'Кошелёк ждёт ответа на предыдущий запрос: откройте его, ответьте на запрос и попробуйте снова.',
    failed: (reason: string) => `Кошелёк сообщил о проблеме: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'Оплатить криптовалютой',
    label: 'Оплата криптовалютой',
    close: 'Закрыть',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `Оплата: ${merchant}` : 'Завершите оплату'),
    returnTo: (merchant: string) => (merchant ? `Вернуться на сайт ${merchant}` : 'Вернуться к продавцу'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `Отменить и вернуться на сайт ${merchant}` : 'Отменить и вернуться к продавцу',
    incomplete: 'Эта ссылка на оплату неполная. Вернитесь к продавцу и начните оплату заново.',
    returnNote: 'Ваш платёж будет учтён, даже если вы закроете эту страницу.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `Отправляйте ${token} только в сети ${network}. ${token}, отправленные на этот адрес из другой сети (Ethereum, BNB Smart Chain, …), будут потеряны.`,
    fee: (token: string) =>
      `Перевод ${token} в TRON сжигает около 6,4–13 TRX за энергию: держите TRX на кошельке отправителя, иначе перевод не пройдёт. При выводе с биржи это оплачивает сама биржа.`,
  },
};
export default messages;
