import { describe, expect, it } from 'vitest';
import {
  ALERT_THEMES_CHECKED,
  ZAlertSettings,
  alertId,
  alertRecipients,
  alertWebhookText,
  alertWording,
  pValueText,
  redactedWebhookUrl,
  themeOfCheck,
  themesToCheck,
  type AlertFigures,
} from '../../src/domain/alert-rules';
import type { Unit } from '../../src/domain/units';

const unit = (id: string, parentId: string | null, manager: string | null): Unit => ({
  id,
  name: id.toUpperCase(),
  parentId,
  manager,
  match: parentId ? { region: [id] } : {},
});

const FIGURES: AlertFigures = {
  check: 'nps',
  unitName: 'Europe',
  recent: 18.4,
  baseline: 42,
  change: -23.6,
  pValue: 0.00042,
  recentReplies: 140,
  baselineReplies: 560,
  windows: { recent: { from: '2027-03-25', to: '2027-03-31' }, baseline: { from: '2027-02-25', to: '2027-03-24' } },
};

describe('who is told of an alert', () => {
  const units = [
    unit('company', null, 'ceo@x.test'),
    unit('eu', 'company', 'gm-eu@x.test'),
    unit('berlin', 'eu', null),
    unit('us', 'company', null),
  ];

  it('tells the unit’s manager, not the managers above', () => {
    expect(alertRecipients(units, 'eu')).toEqual(['gm-eu@x.test']);
  });

  it('tells the nearest manager above a unit without one', () => {
    expect(alertRecipients(units, 'berlin')).toEqual(['gm-eu@x.test']);
    expect(alertRecipients(units, 'us')).toEqual(['ceo@x.test']);
  });

  it('tells nobody of a unit the tree lacks, or when no unit up the tree has a manager', () => {
    expect(alertRecipients(units, 'gone')).toEqual([]);
    expect(alertRecipients([unit('company', null, null), unit('eu', 'company', null)], 'eu')).toEqual([]);
  });
});

describe('the themes checked', () => {
  it('checks the most mentioned themes of the recent window, ties by name, and those of episodes under way', () => {
    const mentions = { a: 5, b: 9, c: 5, d: 1, e: 7, f: 2, g: 0 };
    expect(themesToCheck(mentions, [])).toEqual(['b', 'e', 'a', 'c', 'f']);
    expect(themesToCheck(mentions, []).length).toBe(ALERT_THEMES_CHECKED);
    expect(themesToCheck(mentions, ['g', 'b'])).toEqual(['b', 'e', 'a', 'c', 'f', 'g']);
  });

  it('tells a theme check from a score check', () => {
    expect(themeOfCheck('theme:late delivery')).toBe('late delivery');
    expect(themeOfCheck('nps')).toBeNull();
  });
});

describe('an alert in words', () => {
  it('names the figure, the baseline, the change, the p-value and the false-alarm rate', () => {
    const words = alertWording(FIGURES);
    expect(words.headline).toBe('Europe: NPS fell significantly');
    expect(words.figure).toBe('NPS, 2027-03-25 to 2027-03-31: 18.4 (140 replies)');
    expect(words.baseline).toBe('Baseline, 2027-02-25 to 2027-03-24: 42 (560 replies)');
    expect(words.change).toBe('Change: -23.6 points');
    expect(words.significance).toContain('p-value 0.00042');
    expect(words.falseAlarms).toContain('p ≤ 0.01');
    expect(words.falseAlarms).toContain('at least 100 replies');
  });

  it('words a theme’s share in percent, and in German', () => {
    const theme = { ...FIGURES, check: 'theme:late' as const, recent: 31.25, baseline: 20, change: 11.25 };
    expect(alertWording(theme).headline).toBe('Europe: Share of replies mentioning “late” rose significantly');
    expect(alertWording(theme).change).toBe('Change: +11.3 percentage points');
    expect(alertWording(theme).figure).toContain(': 31.3 % (140 replies)');
    expect(alertWording(FIGURES, 'de').headline).toBe('Europe: NPS deutlich gesunken');
    expect(alertWording(FIGURES, 'de').change).toBe('Veränderung: -23.6 Punkte');
  });

  it('puts the headline first in the webhook message and links the dashboard', () => {
    const text = alertWebhookText(FIGURES, 'https://cx.example/admin/dashboard?segment=unit%3Aeu');
    expect(text.split('\n')[0]).toBe('*Europe: NPS fell significantly*');
    expect(text).toContain('False-alarm rate 1 % per check.');
    expect(text.endsWith('https://cx.example/admin/dashboard?segment=unit%3Aeu')).toBe(true);
  });

  it('writes tiny p-values as a bound', () => {
    expect(pValueText(0.00001)).toBe('< 0.0001');
    expect(pValueText(0.0123)).toBe('0.012');
  });
});

describe('alert IDs and settings', () => {
  it('names an episode by unit, check and the day it opened', () => {
    expect(alertId('eu', 'theme:late', '2027-03-31')).toBe('eu|theme:late|2027-03-31');
  });

  it('accepts http and https webhook URLs, or none', () => {
    expect(ZAlertSettings.parse({}).webhookUrl).toBe('');
    expect(ZAlertSettings.parse({ webhookUrl: 'https://hooks.slack.com/services/T/B/x' }).locale).toBe('en');
    expect(ZAlertSettings.safeParse({ webhookUrl: 'javascript:alert(1)' }).success).toBe(false);
    expect(ZAlertSettings.safeParse({ webhookUrl: `https://x.test/${'a'.repeat(2000)}` }).success).toBe(false);
    expect(ZAlertSettings.safeParse({ locale: 'fr' }).success).toBe(false);
  });

  it('shows a webhook URL by its origin alone: the path is the secret', () => {
    expect(redactedWebhookUrl('https://hooks.slack.com/services/T0/B0/XYZsecret')).toBe('https://hooks.slack.com/…');
    expect(redactedWebhookUrl('')).toBe('');
  });
});
