import { REFUSAL_REASONS } from '@caisse/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MESSAGES, reasonKey, translator } from './messages.js';

afterEach(() => vi.restoreAllMocks());

describe('messages', () => {
  it('has every text in English and French, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    expect(Object.keys(MESSAGES.fr)).toEqual(Object.keys(MESSAGES.en));
    for (const [key, english] of Object.entries(MESSAGES.en)) {
      const french = MESSAGES.fr[key as keyof typeof MESSAGES.fr];
      expect(english, key).not.toBe('');
      expect(french, key).not.toBe('');
      expect(placeholders(french), key).toEqual(placeholders(english));
    }
  });

  it('words every refusal reason of the protocol', () => {
    for (const reason of Object.keys(REFUSAL_REASONS)) {
      expect(reasonKey(reason)).toBe(`reason_${reason}`);
      expect(MESSAGES.en[reasonKey(reason)]).toBeTruthy();
    }
    expect(reasonKey('velocity_limit')).toBe('reason_other');
    expect(reasonKey('toString')).toBe('reason_other');
    expect(reasonKey(undefined)).toBe('reason_other');
  });
});

describe('translator', () => {
  it('chooses French for any fr language and English otherwise', () => {
    expect(translator('fr', undefined).t('cancel')).toBe('Annuler');
    expect(translator('fr-BE', undefined).t('cancel')).toBe('Annuler');
    expect(translator('FR-ca', undefined).t('cancel')).toBe('Annuler');
    expect(translator('en-GB', undefined).t('cancel')).toBe('Cancel');
    expect(translator('de', undefined).t('cancel')).toBe('Cancel');
    expect(translator('fry', undefined).t('cancel')).toBe('Cancel');
  });

  it('follows the browser language when lang is absent', () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('fr-FR');
    expect(translator(undefined, undefined)).toMatchObject({ locale: 'fr-FR' });
    expect(translator('', undefined).t('retry')).toBe('Réessayer');
  });

  it('fills placeholders and leaves unknown ones', () => {
    const { t } = translator('en', undefined);
    expect(t('pay', { amount: '€1.00' })).toBe('Pay €1.00');
    expect(t('pay')).toBe('Pay {amount}');
    expect(t('item', { quantity: 2, label: 'Tea $1' })).toBe('2 × Tea $1');
  });

  it('takes string overrides and ignores anything else', () => {
    const { t } = translator('fr', { cancel: 'Abandonner', retry: 42 as unknown as string });
    expect(t('cancel')).toBe('Abandonner');
    expect(t('retry')).toBe('Réessayer');
  });
});
