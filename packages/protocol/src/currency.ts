import { CaisseError } from './errors.js';

const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP ' +
  'BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD ' +
  'FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD ' +
  'KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD ' +
  'NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP ' +
  'SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED ' +
  'VES WST XCD XCG YER ZAR ZMW ZWG';

function table(): ReadonlyMap<string, number> {
  const exponents = new Map<string, number>();
  for (const [codes, exponent] of [
    [EXPONENT_0, 0],
    [EXPONENT_2, 2],
    [EXPONENT_3, 3],
    [EXPONENT_4, 4],
  ] as const) {
    for (const code of codes.split(' ')) exponents.set(code, exponent);
  }
  return exponents;
}

/**
 * Minor-unit exponent of every active ISO 4217 currency that has minor units defined
 * (ISO 4217 list one; precious metals, testing and fund codes without a minor unit are
 * left out, so they cannot be used for payments).
 */
export const CURRENCY_EXPONENTS: ReadonlyMap<string, number> = table();

export function isCurrencyCode(code: unknown): code is string {
  return typeof code === 'string' && CURRENCY_EXPONENTS.has(code);
}

/**
 * How many decimal digits the currency's minor unit has: 2 for EUR (cents), 0 for JPY,
 * 3 for KWD.
 * @example currencyExponent('EUR') // 2
 */
export function currencyExponent(code: string): number {
  const exponent = CURRENCY_EXPONENTS.get(code);
  if (exponent === undefined) throw new CaisseError('currency_unknown', `Unknown currency "${String(code).slice(0, 8)}".`);
  return exponent;
}
