/** Arabic (Modern Standard Arabic, right to left) messages of `<crypto-checkout>` (lazily loaded; see ../i18n.ts). */
import type { Translation } from '../messages.js';

const messages: Translation = {
  loading: 'جارٍ تحميل صفحة الدفع…',
  order: (id: string) => `الطلب رقم ${id}`,
  retry: 'إعادة المحاولة',
  offline: 'انقطع الاتصال بخادم الدفع. جارٍ إعادة المحاولة…',
  notFound: 'تعذّر العثور على عملية الدفع هذه. يُرجى طلب رابط دفع جديد من التاجر.',
  unreachable: 'تعذّر الوصول إلى خادم الدفع. تحقّق من اتصالك وحاول مرة أخرى.',
  failed: (reason: string) => `حدث خطأ: ${reason}`,

  expiresIn: (time: string, at: string) => `تنتهي الصلاحية خلال ${time} (الساعة ${at})`,
  timeUp: 'انتهى الوقت، جارٍ التحقق…',
  methodGroup: 'طريقة الدفع',
  methodOn: (network: string) => `على شبكة ${network}`,

  network: 'الشبكة',
  token: 'الرمز المميز',
  contract: 'العقد',
  amount: (token: string) => `المبلغ (${token})`,
  amountStillDue: (token: string) => `المبلغ المتبقي (${token})`,
  address: 'العنوان',
  copy: 'نسخ',
  copied: 'تم النسخ',
  copyLabel: { amount: 'نسخ المبلغ', address: 'نسخ العنوان' },
  qr: (amount: string, token: string, network: string, address: string) =>
    `رمز QR: ادفع ${amount} ${token} على شبكة ${network} إلى ${address}`,
  gasToken: (token: string, coin: string, network: string) =>
    `يتطلب إرسال ${token} قليلًا من ${coin} على شبكة ${network} لدفع رسوم الشبكة.`,
  gasUnknownCoin: 'العملة الأصلية للشبكة',
  gasNative: 'تُدفع رسوم الشبكة إضافةً إلى المبلغ.',
  onlyThis: (token: string, network: string) =>
    `أرسل ${token} فقط على شبكة ${network}؛ لا يمكن احتساب ما يُرسَل برموز أخرى أو على شبكات أخرى.`,
  confirmations: 'التأكيدات',
  transfer: (amount: string, token: string, hash: string) => `${amount} ${token} في المعاملة ${hash}`,
  transferLate: 'متأخر',
  transferNotAccepted: 'غير مقبول',
  transferToAbandonedAddress: 'إلى عنوان سابق: سيراجعها التاجر',
  returnToMerchant: 'العودة إلى التاجر',
  sendOnlyOn: (token: string, network: string) => `أرسل ${token} على شبكة ${network} فقط.`,
  sameAddressElsewhere: 'العنوان نفسه موجود على شبكات أخرى، لكن الأموال المرسلة إليها لا يمكن إضافتها.',
  paymentDetails: 'تفاصيل الدفع',
  rate: 'السعر',
  rateLockedUntil: (time: string) => `مثبّت حتى ${time}`,
  confirmationsNeeded: 'التأكيدات المطلوبة',
  changeMethod: 'تغيير الطريقة',
  extrasFailed: 'تعذّر تحميل جزء من صفحة الدفع. تفاصيل الدفع أدناه هي كل ما تحتاجه.',
  steps: 'تقدم الدفع',
  stepSent: 'تم الإرسال',
  stepConfirming: (seen: number, needed: number) => `جارٍ التأكيد ${seen}/${needed}`,
  stepPaid: 'تم الدفع',
  receipt: 'الإيصال',
  transfers: (count: number) => `التحويلات (${count})`,
  receiptPaid: 'المدفوع',
  receiptDate: 'التاريخ',
  receiptTransaction: 'المعاملة',
  receiptOrder: 'الطلب',
  startAgain: 'البدء من جديد',

  // The status line (the live region).
  choose: 'اختر طريقة الدفع',
  waiting: 'في انتظار الدفع',
  confirming: (seen: number, needed: number) => `تم رصد الدفعة — جارٍ التأكيد ${seen}/${needed}`,
  underpaid: (received: string, remaining: string, token: string) =>
    `تم استلام ${received} ${token} — لا يزال ${remaining} ${token} مستحقًا`,
  sendRemainder: (remaining: string, token: string) =>
    `أرسل المبلغ المتبقي ${remaining} ${token} إلى العنوان نفسه.`,
  paid: 'تم استلام الدفعة. شكرًا لك!',
  overpaid: (excess: string, token: string) =>
    `تم استلام ${excess} ${token} زيادةً على المبلغ المستحق؛ يمكن للتاجر ردّ المبلغ الزائد.`,
  paidLate: 'تم الاستلام بعد انتهاء الصلاحية — سيراجع التاجر دفعتك.',
  expired: 'انتهت صلاحية عملية الدفع هذه.',
  expiredUnpaid: 'لم تعد عملية الدفع هذه تقبل أي مدفوعات. يُرجى بدء عملية دفع جديدة.',
  expiredPartly: (received: string, due: string, token: string) =>
    `أرسلت ${received} من أصل ${due} ${token}؛ تواصل مع التاجر بشأن استرداد المبلغ.`,
  canceled: 'أُلغيت عملية الدفع هذه.',
  canceledButSent: (received: string, token: string) =>
    `ومع ذلك وصل ${received} ${token}؛ سيراجع التاجر ذلك.`,
  unexpectedAsset: (amount: string, token: string, network: string) =>
    `تم استلام ${amount} ${token} على شبكة ${network}، لكن عملية الدفع هذه لا تقبله. سيراجع التاجر ذلك.`,

  // Paying from a wallet.
  openInWallet: 'فتح في تطبيق المحفظة',
  wallet: {
    group: 'الدفع باستخدام محفظة',
    heading: (amount: string, token: string) => `ادفع ${amount} ${token} من محفظة:`,
    browserWallet: 'محفظة المتصفح',
    walletConnect: 'WalletConnect',
    walletConnectHint: '— تطبيق محفظة على هاتفك',
    orManually: 'أو أرسل المبلغ بنفسك:',
    connecting: (wallet: string) => `في انتظار ${wallet}… وافق على الاتصال هناك.`,
    startingWalletConnect: 'جارٍ تشغيل WalletConnect…',
    pairing: 'امسح هذا الرمز بتطبيق محفظتك، أو افتح التطبيق على هذا الجهاز.',
    pairingQr: 'رمز QR لربط تطبيق محفظة عبر WalletConnect',
    openWalletApp: 'فتح تطبيق المحفظة',
    switching: (wallet: string, network: string) => `بدّل ${wallet} إلى شبكة ${network} عندما يُطلب منك ذلك…`,
    checking: (wallet: string) => `جارٍ التحقق من الرصيد في ${wallet}…`,
    pay: (amount: string, token: string) => `ادفع ${amount} ${token}`,
    from: (account: string, wallet: string, network: string) =>
      `من ${account} (${wallet}) على شبكة ${network}`,
    confirm: (wallet: string) => `أكّد الدفع في ${wallet}…`,
    openPeer: (wallet: string) => `فتح ${wallet}`,
    sent: 'أُرسلت في المعاملة',
    sentWaiting: 'في انتظار تأكيد الشبكة…',
    cancel: 'إلغاء',
    retry: 'إعادة المحاولة',
    another: 'اختيار محفظة أخرى',
    // Errors.
    rejected: 'رفضت الطلب في محفظتك؛ لم يُرسَل أي شيء.',
    wrongNetwork: (network: string) =>
      `محفظتك متصلة بشبكة أخرى. بدّلها إلى ${network} (أو اسمح لها بإضافة ${network})، ثم حاول مرة أخرى.`,
    insufficientFunds: (balance: string, due: string, token: string, network: string) =>
      `تحتوي هذه المحفظة على ${balance} ${token} على شبكة ${network}، لكن المبلغ المستحق ${due} ${token}. أضف رصيدًا أو اختر محفظة أخرى.`,
    noGas: (coin: string, network: string) =>
      `تحتاج هذه المحفظة إلى قليل من ${coin} على شبكة ${network} لدفع رسوم الشبكة، ورصيدها منه غير كافٍ. أضف بعضه، ثم حاول مرة أخرى.`,
    disconnected: 'انقطع اتصال محفظتك. أعد توصيلها للدفع.',
    reverted: 'فشلت المعاملة على الشبكة (تم التراجع عنها)؛ لم يُدفع أي شيء. حاول مرة أخرى.',
    busy: 'محفظتك في انتظار ردّ على طلب سابق: افتحها وأجب عنه، ثم حاول مرة أخرى.',
    failed: (reason: string) => `أبلغت المحفظة عن مشكلة: ${reason}`,
  },

  // The modal dialog.
  dialog: {
    button: 'ادفع بالعملات المشفرة',
    label: 'الدفع بالعملات المشفرة',
    close: 'إغلاق',
  },

  // The hosted checkout page.
  hosted: {
    title: (merchant: string) => (merchant ? `الدفع إلى ${merchant}` : 'أكمل الدفع'),
    returnTo: (merchant: string) => (merchant ? `العودة إلى ${merchant}` : 'العودة إلى التاجر'),
    cancelAndReturn: (merchant: string) =>
      merchant ? `الإلغاء والعودة إلى ${merchant}` : 'الإلغاء والعودة إلى التاجر',
    incomplete: 'رابط الدفع هذا غير مكتمل. عُد إلى التاجر وابدأ عملية الدفع من جديد.',
    returnNote: 'تُسجَّل دفعتك حتى إن أغلقت هذه الصفحة.',
  },
  // The texts of a TRON payment (messages.ts → TronMessages).
  tron: {
    warning: (token: string, network: string) =>
      `أرسل ${token} على شبكة ${network} فقط. ما يُرسل من ${token} إلى هذا العنوان من شبكة أخرى (Ethereum وBNB Smart Chain و…) يضيع.`,
    fee: (token: string) =>
      `يحرق إرسال ${token} على TRON نحو 6.4–13 TRX مقابل الطاقة: احتفظ بـ TRX في المحفظة المُرسِلة وإلا فشل التحويل. عند السحب من منصة تداول تدفع المنصة ذلك بنفسها.`,
  },
};
export default messages;
