// The article page's only script: once a widget says the payment went through (the
// shop's /caisse/return verified the voucher) or the hour of reading was granted, reload
// to show the whole article or its one-click button.
for (const checkout of document.querySelectorAll('caisse-checkout')) {
  checkout.addEventListener('caisse:paid', () => setTimeout(() => location.reload(), 1200));
}
// A reader whose popup was blocked comes back here in the whole window: show the outcome.
if (/[?&]caisse_/.test(location.search)) {
  const result = document.createElement('div');
  document.querySelector('main')?.prepend(result);
  Caisse.handleReturn({ verifyUrl: '/caisse/return', element: result, lang: 'en' }).then((outcome) => {
    if (outcome.status === 'paid') setTimeout(() => location.replace(location.pathname), 1200);
  });
}
