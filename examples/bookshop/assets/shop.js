// The order page's only script. Coming back from the payment server, the widget's
// handleReturn takes the result out of the address bar, has our /caisse/return check it
// and says what happened; once paid, the page is reloaded to show the order as paid.
const result = document.getElementById('caisse-result');
if (result) {
  Caisse.handleReturn({ verifyUrl: '/caisse/return', element: result, lang: 'en' }).then((outcome) => {
    if (outcome.status === 'paid') setTimeout(() => location.replace(location.pathname), 1500);
  });
}
document.querySelector('caisse-checkout')?.addEventListener('caisse:paid', () => location.replace(location.pathname));
