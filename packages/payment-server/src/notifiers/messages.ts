import { type ConfirmationRequest, formatMoney } from '@caisse/protocol';

/**
 * The texts a customer receives outside the app. English only: the payment server does
 * not know the customer's language. They carry no secret but the enrollment code itself.
 */
export function confirmationText(request: ConfirmationRequest, operatorName: string): string {
  const amount = formatMoney({ amount: request.amount, currency: request.currency }, 'en-GB');
  return request.amount === 0
    ? `${request.payee.name} asks you to sign in. Open your ${operatorName} app to confirm or decline.`
    : `${request.payee.name} asks you to pay ${amount}. Open your ${operatorName} app to confirm or decline.`;
}

export function enrollmentText(code: string, operatorName: string): string {
  return `Your ${operatorName} enrollment code is ${code}. It is valid for 10 minutes. Never give it to anyone.`;
}
