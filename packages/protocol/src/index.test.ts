import { describe, expect, it } from 'vitest';
import * as base64url from './base64url.js';
import * as protocol from './index.js';
import * as money from './money.js';

describe('public entry', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(protocol).sort()).toEqual(
      [
        'ALGORITHMS',
        'PLAN_MEANS',
        'PAYMENT_ID_FORM',
        'isPaymentId',
        'paymentId',
        'paymentSerial',
        'accountPlan',
        'moneyOverview',
        'paymentPlan',
        'planBounds',
        'planChange',
        'CURRENCY_EXPONENTS',
        'CaisseError',
        'ERROR_CODES',
        'LIMITS',
        'PROTOCOL_VERSION',
        'REFUSAL_REASONS',
        'SUPPORTED_VERSIONS',
        'TOKEN_TYPES',
        'address',
        'allowancePeriod',
        'allowanceTerms',
        'assertTotals',
        'assertionClaims',
        'base64urlDecode',
        'base64urlEncode',
        'canonicalJson',
        'confirmationClaims',
        'confirmationRequest',
        'currencyExponent',
        'customerAllowance',
        'customerAllowances',
        'customerHint',
        'discoveryDocument',
        'formatMoney',
        'isAllowedUrl',
        'isAmount',
        'isCaisseError',
        'isCurrencyCode',
        'item',
        'itemsDigest',
        'lineVat',
        'money',
        'notificationClaims',
        'parseMessage',
        'parseTicketClaims',
        'publicJwk',
        'publicJwks',
        'refusalClaims',
        'refusalReason',
        'requestedData',
        'sha256Base64url',
        'sharedData',
        'ticketClaims',
        'ticketHash',
        'ticketReference',
        'toDecimalString',
        'toMinorUnits',
        'totals',
        'voucherAllowance',
        'voucherClaims',
        'MODES',
        'TEST_KEY_PREFIX',
        'modeOfClaims',
        'modeOfKid',
        'testMarker',
        'CONTENT_TYPES',
        'quoteAnswer',
        'quoteRequestClaims',
        'ticketDelivery',
        'ticketQuote',
      ].sort(),
    );
  });

  it('offers the light subpath entries without zod', () => {
    expect(Object.keys(base64url).sort()).toEqual(['base64urlDecode', 'base64urlEncode']);
    expect(Object.keys(money).sort()).toEqual(['formatMoney', 'isAmount', 'money', 'toDecimalString', 'toMinorUnits']);
  });
});
