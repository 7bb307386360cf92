import type { Answers, TSurvey } from './survey-schema';
import { detectThemes, sentimentPolarity, type Polarity } from './themes';

export type NpsCategory = 'detractor' | 'passive' | 'promoter';

export interface Scale {
  min: number;
  max: number;
}

/** Answer scales of the standard metrics; CES 2.0 agreement scale, so 7 = very easy (higher is better). */
export const METRIC_SCALES = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
} as const satisfies Record<string, Scale>;

export function isOnScale(score: unknown, scale: Scale): score is number {
  return typeof score === 'number' && Number.isInteger(score) && score >= scale.min && score <= scale.max;
}

function checkedScore(score: number, scale: Scale, metric: string): number {
  if (!isOnScale(score, scale))
    throw new RangeError(`${metric} score must be an integer from ${scale.min} to ${scale.max}, not ${score}`);
  return score;
}

/**
 * Rounds half away from zero; the epsilon absorbs binary noise such as 1.005 * 100 = 100.49999…,
 * and `|| 0` avoids reporting -0.
 */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return (Math.sign(value) * Math.round(Math.abs(value) * factor * (1 + Number.EPSILON))) / factor || 0;
}

export function npsCategory(score: number): NpsCategory {
  checkedScore(score, METRIC_SCALES.nps, 'NPS');
  if (score >= 9) return 'promoter';
  return score >= 7 ? 'passive' : 'detractor';
}

/** Net Promoter Score: % promoters − % detractors, from −100 to 100. */
export function npsScore(c: { promoters: number; passives: number; detractors: number }): number | null {
  const answered = c.promoters + c.passives + c.detractors;
  if (answered <= 0) return null;
  return roundTo(((c.promoters - c.detractors) / answered) * 100, 1);
}

export function isCsatSatisfied(score: number): boolean {
  return checkedScore(score, METRIC_SCALES.csat, 'CSAT') >= 4;
}

/** Share of satisfied (4–5) CSAT answers, in %. */
export function csatPercent(c: { satisfied: number; count: number }): number | null {
  if (c.count <= 0) return null;
  return roundTo((c.satisfied / c.count) * 100, 1);
}

export function cesAverage(c: { sum: number; count: number }): number | null {
  if (c.count <= 0) return null;
  return roundTo(c.sum / c.count, 2);
}

/** Average of summary scores (0–100) kept as sum and count in rollups. */
export function summaryAverage(c: { sum: number; count: number }): number | null {
  if (c.count <= 0) return null;
  return roundTo(c.sum / c.count, 1);
}

export interface ReplyScores {
  nps?: number;
  npsCategory?: NpsCategory;
  csat?: number;
  csatSatisfied?: boolean;
  ces?: number;
  verbatim: string;
  themes: string[];
  sentiment: Polarity;
  summary: number | null;
}

/** One 0–100 number per reply so that replies to different metrics can be compared and averaged. */
export function summaryScore(s: { nps?: number; csat?: number; ces?: number }): number | null {
  const normalised: number[] = [];
  if (s.nps !== undefined) normalised.push(s.nps * 10);
  if (s.csat !== undefined) normalised.push(((s.csat - 1) / 4) * 100);
  if (s.ces !== undefined) normalised.push(((s.ces - 1) / 6) * 100);
  if (normalised.length === 0) return null;
  return roundTo(normalised.reduce((sum, value) => sum + value, 0) / normalised.length, 1);
}

/** The answer to the first answered question of a metric type; later ones are follow-ups, not the metric. */
function firstScore(survey: TSurvey, answers: Answers, type: 'nps' | 'csat' | 'ces'): number | undefined {
  for (const question of survey.questions) {
    const answer = answers[question.id];
    if (question.type === type && typeof answer === 'number') return answer;
  }
  return undefined;
}

function verbatimOf(survey: TSurvey, answers: Answers): string {
  return survey.questions
    .filter((question) => question.type === 'text')
    .map((question) => answers[question.id])
    .filter((answer): answer is string => typeof answer === 'string' && answer.length > 0)
    .join('\n');
}

export function scoreReply(survey: TSurvey, answers: Answers, themeLexicon: Record<string, string[]>): ReplyScores {
  const nps = firstScore(survey, answers, 'nps');
  const csat = firstScore(survey, answers, 'csat');
  const ces = firstScore(survey, answers, 'ces');
  const verbatim = verbatimOf(survey, answers);
  return {
    ...(nps !== undefined && { nps, npsCategory: npsCategory(nps) }),
    ...(csat !== undefined && { csat, csatSatisfied: isCsatSatisfied(csat) }),
    ...(ces !== undefined && { ces: checkedScore(ces, METRIC_SCALES.ces, 'CES') }),
    verbatim,
    themes: detectThemes(verbatim, themeLexicon),
    sentiment: sentimentPolarity(verbatim).polarity,
    summary: summaryScore({ nps, csat, ces }),
  };
}
