import { LIMITS, type RequestedData } from '@caisse/protocol';
import { cleanText, type Html, h } from './html.js';
import { type Locale, requestedKey, t } from './i18n.js';

/** The form fields of each kind of data a ticket may request (`name` attributes). */
export const SHARED_FIELDS = {
  shipping_address: [
    'shippingName',
    'shippingLine1',
    'shippingLine2',
    'shippingPostalCode',
    'shippingCity',
    'shippingRegion',
    'shippingCountry',
  ],
  email: ['email'],
  name: ['name'],
} as const satisfies Record<RequestedData, readonly string[]>;

export type SharedField = (typeof SHARED_FIELDS)[RequestedData][number];

/** Why a field is shown again: stable codes, also in the field's `data-code`. */
export type SharedFieldError = 'required' | 'invalid';

/** What the customer typed (shown again with the errors) and what is wrong with it. */
export interface SharedForm {
  values: Partial<Record<SharedField, string>>;
  errors?: Partial<Record<SharedField, SharedFieldError>>;
}

export const OPTIONAL_FIELDS: ReadonlySet<SharedField> = new Set(['shippingLine2', 'shippingRegion']);

interface FieldSpec {
  id: string;
  /** HTML autofill tokens (WHATWG "autofill detail tokens"), so browsers fill the saved address. */
  autocomplete: string;
  type: 'text' | 'email';
  maxlength: number;
  extra?: Html;
}

const FIELDS: Record<SharedField, FieldSpec> = {
  shippingName: { id: 'shipping-name', autocomplete: 'shipping name', type: 'text', maxlength: LIMITS.labelLength },
  shippingLine1: { id: 'shipping-line1', autocomplete: 'shipping address-line1', type: 'text', maxlength: LIMITS.labelLength },
  shippingLine2: { id: 'shipping-line2', autocomplete: 'shipping address-line2', type: 'text', maxlength: LIMITS.labelLength },
  shippingPostalCode: { id: 'shipping-postal-code', autocomplete: 'shipping postal-code', type: 'text', maxlength: 16 },
  shippingCity: { id: 'shipping-city', autocomplete: 'shipping address-level2', type: 'text', maxlength: LIMITS.labelLength },
  shippingRegion: { id: 'shipping-region', autocomplete: 'shipping address-level1', type: 'text', maxlength: LIMITS.labelLength },
  // `country` fills the ISO 3166-1 alpha-2 code, which is what the voucher carries.
  shippingCountry: {
    id: 'shipping-country',
    autocomplete: 'shipping country',
    type: 'text',
    maxlength: 2,
    extra: h` autocapitalize="characters" spellcheck="false"`,
  },
  email: {
    id: 'shared-email',
    autocomplete: 'email',
    type: 'email',
    maxlength: 254,
    extra: h` autocapitalize="none" spellcheck="false"`,
  },
  name: { id: 'shared-name', autocomplete: 'name', type: 'text', maxlength: LIMITS.labelLength },
};

function errorText(locale: Locale, field: SharedField, error: SharedFieldError): Html {
  // Optional fields are never `required`; the catalogue has no such text for them.
  return error === 'required' && !OPTIONAL_FIELDS.has(field)
    ? t(locale, `shared.error.required.${field as Exclude<SharedField, 'shippingLine2' | 'shippingRegion'>}`)
    : t(locale, `shared.error.invalid.${field}`);
}

/**
 * The fields for the data the ticket requests, to put inside the form the customer
 * confirms with: labels, autofill tokens, an error summary (`role="alert"`, links to the
 * fields) and per-field errors in words (`aria-invalid`, `aria-describedby`). Sending the
 * form is the customer's agreement, which the fieldset's description says.
 */
export function sharedDataFields(options: {
  locale: Locale;
  requested: readonly RequestedData[];
  merchant: Html;
  form?: SharedForm | undefined;
}): Html {
  const { locale } = options;
  const requested = [...new Set(options.requested)];
  if (requested.length === 0) return h``;
  const values = options.form?.values ?? {};
  const errors = options.form?.errors ?? {};
  const wrong = requested.flatMap((data) => SHARED_FIELDS[data].filter((field) => errors[field] !== undefined));

  const field = (name: SharedField): Html => {
    const spec = FIELDS[name];
    const error = errors[name];
    const hint = name === 'shippingCountry' ? h`<p class="hint" id="${spec.id}-hint">${t(locale, 'shared.countryHint')}</p>` : '';
    const described = [hint ? `${spec.id}-hint` : '', error ? `${spec.id}-error` : ''].filter(Boolean).join(' ');
    return h`<div class="field">
<label for="${spec.id}">${t(locale, `shared.field.${name}`)}</label>
${hint}
${error ? h`<p class="field-error" id="${spec.id}-error" data-code="${error}">${errorText(locale, name, error)}</p>` : ''}
<input type="${spec.type}" id="${spec.id}" name="${name}" value="${cleanText(values[name] ?? '')}" autocomplete="${spec.autocomplete}" maxlength="${spec.maxlength}"${spec.extra ?? ''}${OPTIONAL_FIELDS.has(name) ? '' : h` required`}${described ? h` aria-describedby="${described}"` : ''}${error ? h` aria-invalid="true"` : ''}>
</div>`;
  };

  const groups = requested.map((data) =>
    data === 'shipping_address'
      ? h`<fieldset>
<legend>${t(locale, requestedKey('shipping_address'))}</legend>
${SHARED_FIELDS.shipping_address.map(field)}
</fieldset>`
      : SHARED_FIELDS[data].map(field),
  );

  return h`<fieldset aria-describedby="shared-consent">
<legend>${t(locale, 'shared.legend', { merchant: options.merchant })}</legend>
<p class="hint" id="shared-consent">${t(locale, 'shared.consent', { merchant: options.merchant })}</p>
${
  wrong.length === 0
    ? ''
    : h`<div class="error-summary" role="alert" aria-labelledby="shared-error-heading" data-code="shared_data_invalid">
<h3 id="shared-error-heading">${t(locale, 'shared.errorHeading')}</h3>
<ul>${wrong.map((name) => h`<li><a href="#${FIELDS[name].id}">${errorText(locale, name, errors[name] as SharedFieldError)}</a></li>`)}</ul>
</div>`
}
${groups}
</fieldset>`;
}
