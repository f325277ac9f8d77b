// The article page's only script. In popup mode the widget posts the voucher to our return
// handler (its verify-url); once it says the payment went through or the hour of reading was
// granted, reload to show the whole article or its one-click button. (A reader whose popup
// was blocked goes through the whole window instead: the payment server sends them to the
// same handler, which verifies and sends them back to the article, opened or saying why not.)
for (const checkout of document.querySelectorAll('caisse-checkout')) {
  checkout.addEventListener('caisse:paid', () => setTimeout(() => location.reload(), 1200));
}
