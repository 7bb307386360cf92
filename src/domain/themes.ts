export type Polarity = 'positive' | 'negative' | 'neutral';

/** Lower case without accents, so "Café" and "cafe" match; curly apostrophes become straight ones. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2018\u2019]/g, "'")
    .toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters and digits are word characters in any script; lookarounds instead of \b, which knows only ASCII. */
const WORD_START = '(?<![\\p{L}\\p{N}])';
const WORD_END = '(?![\\p{L}\\p{N}])';

/** `refund*` is a prefix; words of a phrase may be separated by any whitespace, line breaks included. */
function keywordPattern(keyword: string): RegExp | null {
  const folded = foldText(keyword).trim();
  const isPrefix = folded.endsWith('*');
  const words = folded.replace(/\*$/, '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  return new RegExp(WORD_START + words.map(escapeRegExp).join('\\s+') + (isPrefix ? '' : WORD_END), 'u');
}

/** Whether the text contains the keyword (`cancel*` is a prefix), ignoring case and accents. */
export function mentions(text: string, keyword: string): boolean {
  return keywordPattern(keyword)?.test(foldText(text)) ?? false;
}

/** Themes of a verbatim, by keyword lexicon (theme → keywords); sorted, each once. */
export function detectThemes(text: string, lexicon: Record<string, string[]>): string[] {
  const folded = foldText(text);
  return Object.entries(lexicon)
    .filter(([, keywords]) => keywords.some((keyword) => keywordPattern(keyword)?.test(folded)))
    .map(([theme]) => theme)
    .sort();
}

// prettier-ignore
const POSITIVE_WORDS = new Set([
  'great', 'good', 'excellent', 'amazing', 'awesome', 'fantastic', 'wonderful', 'outstanding', 'perfect', 'best',
  'nice', 'friendly', 'fast', 'quick', 'quickly', 'prompt', 'helpful', 'polite', 'courteous', 'kind',
  'professional', 'knowledgeable', 'patient', 'attentive', 'responsive', 'efficient', 'easy', 'simple', 'smooth',
  'clean', 'reliable', 'convenient', 'love', 'loved', 'happy', 'pleased', 'satisfied', 'recommend', 'thanks',
  'resolved',
]);

// prettier-ignore
const NEGATIVE_WORDS = new Set([
  'bad', 'poor', 'terrible', 'awful', 'horrible', 'worst', 'rude', 'unfriendly', 'unhelpful', 'incompetent',
  'slow', 'late', 'delay', 'delayed', 'wait', 'waited', 'waiting', 'broken', 'damaged', 'faulty',
  'missing', 'wrong', 'error', 'problem', 'problems', 'issue', 'issues', 'complaint', 'refund', 'cancelled',
  'dirty', 'expensive', 'overpriced', 'confusing', 'complicated', 'difficult', 'disappointed', 'disappointing',
  'frustrated', 'frustrating', 'annoying', 'angry', 'ignored', 'useless', 'unacceptable', 'hate',
]);

const NEGATION_REACH = 3;

function isNegation(word: string): boolean {
  return word === 'not' || word === 'never' || word === 'no' || word.endsWith("n't");
}

/** Polarity from a small word list of typical customer feedback; "not friendly" counts as negative. */
export function sentimentPolarity(text: string): { polarity: Polarity; score: number } {
  const words = foldText(text).match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? [];
  let positive = 0;
  let negative = 0;
  words.forEach((word, index) => {
    const value = POSITIVE_WORDS.has(word) ? 1 : NEGATIVE_WORDS.has(word) ? -1 : 0;
    if (value === 0) return;
    const negated = words.slice(Math.max(0, index - NEGATION_REACH), index).some(isNegation);
    if (value > 0 !== negated) positive++;
    else negative++;
  });
  const score = (positive - negative) / Math.max(1, positive + negative);
  return { polarity: score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral', score };
}
