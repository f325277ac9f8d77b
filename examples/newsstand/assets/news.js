// The article page's only script. The hour of reading's widget runs in popup mode: it posts
// the voucher to our return handler (its verify-url); once it says the hour was granted,
// reload to show the one-click button. (The article's own widget asks for a quote in the
// whole window: the payment server hands the reader the article, then sends them to the same
// handler, which verifies and sends them back to the article, open or saying why not.)
for (const checkout of document.querySelectorAll('caisse-checkout')) {
  checkout.addEventListener('caisse:paid', () => setTimeout(() => location.reload(), 1200));
}
