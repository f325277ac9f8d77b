import { type Address, type RequestedData, type SharedData, sharedData } from '@caisse/protocol';
import { OPTIONAL_FIELDS, SHARED_FIELDS, type SharedField, type SharedForm } from '../pages/shared-data.js';
import type { CheckoutSession } from './sessions.js';

export type SharedReading = { ok: true; shared: SharedData | undefined; form: SharedForm } | { ok: false; form: Required<SharedForm> };

/** Where each address part comes from in the form. */
const ADDRESS_FIELDS = {
  name: 'shippingName',
  line1: 'shippingLine1',
  line2: 'shippingLine2',
  postalCode: 'shippingPostalCode',
  city: 'shippingCity',
  region: 'shippingRegion',
  country: 'shippingCountry',
} as const satisfies Record<keyof Address, SharedField>;

/**
 * Reads the customer data the ticket requests from the hosted page's form and checks it
 * with the protocol's `sharedData` schema, the one merchants verify the voucher with. Only
 * the requested fields are read: anything else the form carries is ignored, so a voucher
 * never shares more than the ticket asked for. Values are trimmed; an empty optional
 * field is left out; the country code is upper-cased (autofill and people type `fr`).
 * @example const reading = readSharedForm(claims.requested, await c.req.parseBody())
 */
export function readSharedForm(requested: readonly RequestedData[] | undefined, body: Record<string, unknown>): SharedReading {
  const fields = [...new Set(requested ?? [])].flatMap((data): readonly SharedField[] => SHARED_FIELDS[data]);
  const values: SharedForm['values'] = {};
  const errors: NonNullable<SharedForm['errors']> = {};
  for (const field of fields) {
    const raw = body[field];
    const value = typeof raw === 'string' ? raw.trim() : '';
    values[field] = field === 'shippingCountry' ? value.toUpperCase() : value;
    if (value === '' && !OPTIONAL_FIELDS.has(field)) errors[field] = 'required';
  }
  if (fields.length === 0) return { ok: true, shared: undefined, form: { values } };

  const given = (field: SharedField) => (values[field] ? values[field] : undefined);
  const candidate: Record<string, unknown> = {};
  if (requested?.includes('shipping_address')) {
    candidate.shippingAddress = Object.fromEntries(
      Object.entries(ADDRESS_FIELDS).flatMap(([part, field]) => (given(field) === undefined ? [] : [[part, given(field)]])),
    );
  }
  if (requested?.includes('email')) candidate.email = given('email');
  if (requested?.includes('name')) candidate.name = given('name');

  const parsed = sharedData.safeParse(candidate);
  if (parsed.success && Object.keys(errors).length === 0) return { ok: true, shared: parsed.data, form: { values } };
  for (const issue of parsed.error?.issues ?? []) {
    const [top, part] = issue.path;
    const field: SharedField | undefined =
      top === 'shippingAddress' ? ADDRESS_FIELDS[part as keyof typeof ADDRESS_FIELDS] : top === 'email' || top === 'name' ? top : undefined;
    if (field !== undefined && errors[field] === undefined) errors[field] = 'invalid';
  }
  // A schema issue the form cannot point at would be our bug, not the customer's: fail loudly.
  if (Object.keys(errors).length === 0) throw new Error('The shared data failed its schema on no form field.');
  return { ok: false, form: { values, errors } };
}

/** The session with what the customer agreed to share, for the step that stores it with its move. */
export function withShared(session: CheckoutSession, reading: SharedReading & { ok: true }): CheckoutSession {
  return reading.shared === undefined ? session : { ...session, shared: reading.shared };
}
