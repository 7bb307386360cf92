/** Limits on everything a program holds: a survey is short, and nothing may grow without bound. */
export const LIMITS = {
  text: 1000,
  name: 200,
  locales: 20,
  questions: 50,
  options: 50,
  triggers: 50,
  audienceRules: 50,
  audienceValues: 200,
  themes: 50,
  keywordsPerTheme: 100,
  keyword: 100,
  anyOf: 50,
  count: 10_000,
  scale: 100,
} as const;
