import { describe, expect, it } from 'vitest';
import { serial as orderSerial } from './messages/fields.js';
import { isPaymentId, PAYMENT_ID_FORM, paymentId, paymentSerial } from './payment-id.js';

const INT8_MAX = '9223372036854775807';

describe('isPaymentId', () => {
  it('accepts pay_ and a positive whole number up to the largest bigint', () => {
    for (const id of ['pay_1', 'pay_42', 'pay_1042', `pay_${INT8_MAX}`]) expect(isPaymentId(id), id).toBe(true);
  });

  it('refuses a bare number, the old form of a payment serial, which an order serial may take', () => {
    for (const bare of ['5', '1042', INT8_MAX]) expect(isPaymentId(bare), bare).toBe(false);
  });

  it('refuses anything else: zero, leading zeros, signs, other prefixes or cases, past the largest bigint, not a string', () => {
    for (const text of [
      '',
      'pay_',
      'pay_0',
      'pay_042',
      'pay_-1',
      'pay_+1',
      'pay_1e3',
      'pay_1.0',
      'pay_ 1',
      'pay_1 ',
      ' pay_1',
      'pay_1\n',
      'PAY_1',
      'Pay_1',
      'pay-1',
      'pay1',
      'payment_1',
      'rf_1',
      'pay_١',
      'pay_9223372036854775808',
      'pay_99999999999999999999',
      'pay_1/../settlements',
    ]) {
      expect(isPaymentId(text), JSON.stringify(text)).toBe(false);
    }
    for (const value of [1042, 1042n, null, undefined, {}, ['pay_1'], { id: 'pay_1' }]) expect(isPaymentId(value)).toBe(false);
  });

  it('is never true of an order serial the ticket schema accepts', () => {
    for (const text of ['pay_12', 'pay_1042', `pay_${INT8_MAX}`]) {
      expect(isPaymentId(text)).toBe(true);
      expect(orderSerial.safeParse(text).success, text).toBe(false);
    }
  });
});

describe('paymentId and paymentSerial', () => {
  it('name a register serial pay_<serial> and read it back', () => {
    expect(paymentId(1042n)).toBe('pay_1042');
    expect(paymentId('1042')).toBe('pay_1042');
    expect(paymentSerial('pay_1042')).toBe(1042n);
    expect(paymentSerial(`pay_${INT8_MAX}`)).toBe(BigInt(INT8_MAX));
    for (const serial of [1n, 42n, 1042n, BigInt(INT8_MAX)]) {
      expect(isPaymentId(paymentId(serial))).toBe(true);
      expect(paymentSerial(paymentId(serial))).toBe(serial);
    }
  });

  it('reads no register serial from what is not a payment id, a bare number above all', () => {
    for (const text of ['1042', '5', 'pay_0', 'pay_042', 'PAY_1', 'pay_', 'pay_9223372036854775808', 'order-42']) {
      expect(paymentSerial(text), text).toBeUndefined();
    }
  });

  it('describes the form for error messages', () => {
    expect(PAYMENT_ID_FORM).toContain('pay_');
    expect(PAYMENT_ID_FORM).toContain('pay_1042');
  });
});
