/** The locales the site is published in; the first is the fallback. */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = SUPPORTED_LOCALES[0];
