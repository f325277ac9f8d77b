import { REFUSAL_REASONS } from '@caisse/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fr } from './locales/fr.js';
import { en, reasonKey, translator } from './messages.js';

afterEach(() => vi.restoreAllMocks());

describe('messages', () => {
  it('has every text in English and French, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    expect(Object.keys(fr)).toEqual(Object.keys(en));
    for (const [key, english] of Object.entries(en)) {
      const french = fr[key as keyof typeof fr];
      expect(english, key).not.toBe('');
      expect(french, key).not.toBe('');
      expect(placeholders(french), key).toEqual(placeholders(english));
    }
  });

  it('words every refusal reason of the protocol', () => {
    for (const reason of Object.keys(REFUSAL_REASONS)) {
      expect(reasonKey(reason)).toBe(`reason_${reason}`);
      expect(en[reasonKey(reason)]).toBeTruthy();
    }
    expect(reasonKey('velocity_limit')).toBe('reason_other');
    expect(reasonKey('toString')).toBe('reason_other');
    expect(reasonKey(undefined)).toBe('reason_other');
  });
});

describe('translator', () => {
  it('chooses French for any fr language when given French, and English otherwise', () => {
    expect(translator('fr', undefined, { fr }).t('cancel')).toBe('Annuler');
    expect(translator('fr-BE', undefined, { fr }).t('cancel')).toBe('Annuler');
    expect(translator('FR-ca', undefined, { fr }).t('cancel')).toBe('Annuler');
    expect(translator('en-GB', undefined, { fr }).t('cancel')).toBe('Cancel');
    expect(translator('de', undefined, { fr }).t('cancel')).toBe('Cancel');
    expect(translator('fry', undefined, { fr }).t('cancel')).toBe('Cancel');
    expect(translator('fr', undefined).t('cancel')).toBe('Cancel');
  });

  it('falls back to English for a text a locale lacks, and finds nothing on the prototype', () => {
    const { t } = translator('de', undefined, { de: { cancel: 'Abbrechen' } });
    expect(t('cancel')).toBe('Abbrechen');
    expect(t('retry')).toBe('Try again');
    expect(translator('constructor', undefined, { fr }).t('cancel')).toBe('Cancel');
    expect(translator('toString', undefined, {}).t('cancel')).toBe('Cancel');
  });

  it('follows the browser language when lang is absent', () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('fr-FR');
    expect(translator(undefined, undefined)).toMatchObject({ locale: 'fr-FR' });
    expect(translator('', undefined, { fr }).t('retry')).toBe('Réessayer');
  });

  it('fills placeholders and leaves unknown ones', () => {
    const { t } = translator('en', undefined);
    expect(t('pay', { amount: '€1.00' })).toBe('Pay €1.00');
    expect(t('pay')).toBe('Pay {amount}');
    expect(t('item', { quantity: 2, label: 'Tea $1' })).toBe('2 × Tea $1');
  });

  it('takes string overrides and ignores anything else', () => {
    const { t } = translator('fr', { cancel: 'Abandonner', retry: 42 as unknown as string }, { fr });
    expect(t('cancel')).toBe('Abandonner');
    expect(t('retry')).toBe('Réessayer');
  });
});
