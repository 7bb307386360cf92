import { isDeepStrictEqual } from 'node:util';
import { type Request, type Response, Router } from 'express';
import { allowPublic } from '../access';
import type { Db } from 'mongodb';
import { localize } from '../../domain/localize';
import {
  ANSWER_MESSAGES,
  type AnswerMessages,
  parseAnswers,
  prefilledAnswers,
  progress,
  scaleOf,
  visibleQuestions,
} from '../../domain/survey';
import type { Answers, TQuestion } from '../../domain/survey-schema';
import { type Templates, format } from '../../mail/templates';
import type { LoopSettings } from '../../temporal/loop-client';
import type { Metrics } from '../metrics';
import { type SurveyState, submitReply, surveyState } from '../../app/replies';
import { type UnsubscribeState, unsubscribeByToken, unsubscribeState } from '../../app/unsubscribes';

export interface SurveyDeps {
  db: Db;
  loop: LoopSettings;
  templates: Templates;
  metrics: Metrics;
}

type OpenState = Extract<SurveyState, { kind: 'open' }>;

/** A post found a reply stored that the state it was checked against had not read. */
const UNREAD = Symbol('unread');

/** The customer-facing survey (`/s/:token`) and unsubscribe (`/u/:token`) pages: server-rendered, no JavaScript needed. */
export function surveyRouter({ db, loop, templates, metrics }: SurveyDeps): Router {
  const router = Router();

  /** Customer pages speak the customer's language (`templates/strings/<locale>.json`). */
  const render = (res: Response, status: number, page: string, locale: string, context: Record<string, unknown>) => {
    res
      .status(status)
      .type('html')
      .send(templates.page(page, { ...context, locale, text: templates.strings(locale), public: true }));
  };

  /** Answer errors in the page's language: `error.<code>` strings, English where missing. */
  const answerMessages = (locale: string): AnswerMessages => {
    const text = templates.strings(locale);
    return Object.fromEntries(
      Object.entries(ANSWER_MESSAGES).map(([code, english]) => [code, text[`error.${code}`] ?? english]),
    ) as AnswerMessages;
  };

  const CLOSED_PAGES = {
    expired: { status: 410, title: 'closedTitle', message: 'closedMessage' },
    // Whoever holds the link learns only that the survey is gone, not that someone was erased.
    erased: { status: 410, title: 'closedTitle', message: 'closedMessage' },
    closed: { status: 409, title: 'answeredTitle', message: 'answeredMessage' },
    unknown: { status: 404, title: 'invalidTitle', message: 'invalidMessage' },
    'not-open': { status: 404, title: 'invalidTitle', message: 'invalidMessage' },
  } as const;

  const renderClosed = (res: Response, kind: Exclude<SurveyState, OpenState>['kind'], locale = 'en') => {
    const { status, title, message } = CLOSED_PAGES[kind];
    const text = templates.strings(locale);
    render(res, status, 'message', locale, { title: text[title], message: text[message] });
  };

  const renderForm = (
    res: Response,
    status: number,
    state: OpenState,
    answers: Answers,
    extra: { errors?: Record<string, string>; notice?: string; oneClick?: boolean },
  ) => {
    const { program, invitation } = state;
    const locale = invitation.locale || program.defaultLocale;
    const shown = visibleQuestions(program.survey, answers, invitation.known);
    const { answered, total } = progress(program.survey, answers, invitation.known);
    render(res, status, 'survey', locale, {
      // The customer sees the survey's own wording, not the program's internal name.
      title: localize(program.email.subject, locale, program.defaultLocale),
      intro: localize(program.email.intro, locale, program.defaultLocale),
      why: localize(program.email.why, locale, program.defaultLocale),
      token: state.token,
      oneClick: extra.oneClick,
      questions: shown.map((q, index) =>
        questionView(q, index, answers[q.id], extra.errors?.[q.id], locale, program.defaultLocale),
      ),
      errorCount: Object.keys(extra.errors ?? {}).length,
      notice: extra.notice,
      progress: { answered, total, percent: total ? Math.round((answered / total) * 100) : 0 },
    });
  };

  const thanks = (res: Response, state: OpenState, editableUntil: Date) => {
    const locale = state.invitation.locale || state.program.defaultLocale;
    render(res, 200, 'thanks', locale, {
      title: templates.strings(locale).thanksTitle,
      why: localize(state.program.email.why, locale, state.program.defaultLocale),
      token: state.token,
      // Offered only while it is true: a closed reply (or one without an edit window) cannot be edited.
      editableUntil: editableUntil > new Date() ? editableUntil.toISOString() : undefined,
    });
  };

  /**
   * Stores the answers: until when they may be edited, null when the reply is closed, or UNREAD
   * when a reply the state had not read was stored already (nothing written, nothing sent).
   */
  async function store(state: OpenState, answers: Answers, complete: boolean): Promise<Date | null | typeof UNREAD> {
    const saved = await submitReply(db, loop, state, answers, complete);
    if (saved.outcome === 'unread') return UNREAD;
    metrics.replies.inc({ outcome: saved.outcome });
    return saved.outcome === 'closed' ? null : saved.editableUntil;
  }

  // Side-effect free: mail scanners and link previewers open every link in a message. A score
  // from the email's one-click link is only shown selected, saying which one action records it;
  // the page posts it on the person's first interaction, never on load (public/survey.js).
  router.get('/s/:token', allowPublic('survey link: unguessable token; GET changes nothing'), async (req, res) => {
    const state = await surveyState(db, String(req.params.token));
    if (state.kind !== 'open') return renderClosed(res, state.kind, localeOf(state));
    const answers = storedAnswers(state);
    const score = req.query.score;
    if (typeof score !== 'string') return renderForm(res, 200, state, answers, {});
    const first = state.program.survey.questions[0]!;
    const clicked = parseFirstAnswer(state, answers, score);
    if ('error' in clicked) return renderForm(res, 400, state, answers, { errors: { [first.id]: clicked.error } });
    const text = templates.strings(localeOf(state));
    const selected = format(text.scoreSelected, { score: String(clicked.answers[first.id]), button: text.send ?? '' });
    renderForm(res, 200, state, clicked.answers, { oneClick: true, notice: selected });
  });

  router.post('/s/:token', allowPublic('survey form: unguessable token'), async (req, res) => {
    const token = String(req.params.token);
    const form = (req.body ?? {}) as Record<string, unknown>;
    // Most posts are a first answer, whose reply is not read first (its insert finds one stored);
    // when one was stored after all, the post is answered again from a state with it.
    if (await answer(res, await surveyState(db, token, new Date(), { firstAnswer: true }), token, form)) return;
    await answer(res, await surveyState(db, token), token, form);
  });

  /** Answers a post from `state`; false (nothing sent) when it found a reply stored that `state` had not read. */
  async function answer(res: Response, state: SurveyState, token: string, form: Record<string, unknown>) {
    if (state.kind === 'closed' && repeatsStoredReply(state, form)) {
      // A retry of the answer already stored (its first response was lost, e.g. the database
      // restarted after storing it): the customer is thanked, as the first time, not refused.
      thanks(res, { ...state, kind: 'open', token }, state.reply.editableUntil);
      return true;
    }
    if (state.kind !== 'open') {
      renderClosed(res, state.kind, localeOf(state));
      return true;
    }
    const prior = storedAnswers(state);
    if (form._oneclick === '1') return recordOneClick(res, state, prior, form);

    const { answers, errors } = parseForm(state, form);
    // What the customer was shown comes from what is stored, never from the form: every required
    // question among those must be answered; questions the new answers reveal are the next step.
    const shownBefore = new Set(visibleQuestions(state.program.survey, prior, state.invitation.known).map((q) => q.id));
    const visibleErrors = Object.fromEntries(Object.entries(errors).filter(([id]) => shownBefore.has(id)));
    // Shown only from a state that read the reply: a stored one may have shown other questions.
    if (Object.keys(visibleErrors).length) {
      if (state.replyUnread) return false;
      renderForm(res, 422, state, answers, { errors: visibleErrors });
      return true;
    }

    const followUps = visibleQuestions(state.program.survey, answers, state.invitation.known).filter(
      (q) => !shownBefore.has(q.id) && answers[q.id] === undefined,
    );
    const editableUntil = await store(state, answers, followUps.length === 0);
    if (editableUntil === UNREAD) return false;
    if (editableUntil === null) renderClosed(res, 'closed', localeOf(state));
    else if (followUps.length)
      renderForm(res, 200, state, answers, { notice: templates.strings(localeOf(state)).oneMoreStep });
    else thanks(res, state, editableUntil);
    return true;
  }

  /** The page's own post after a one-click score: records the first question only, as the click meant. */
  async function recordOneClick(res: Response, state: OpenState, prior: Answers, form: Record<string, unknown>) {
    const first = state.program.survey.questions[0]!;
    const clicked = parseFirstAnswer(state, prior, form[first.id]);
    if ('error' in clicked) {
      if (state.replyUnread) return false;
      renderForm(res, 422, state, prior, { errors: { [first.id]: clicked.error } });
      return true;
    }
    const complete = visibleQuestions(state.program.survey, clicked.answers, state.invitation.known).every(
      (q) => clicked.answers[q.id] !== undefined,
    );
    const editableUntil = await store(state, clicked.answers, complete);
    if (editableUntil === UNREAD) return false;
    if (editableUntil === null) renderClosed(res, 'closed', localeOf(state));
    else
      renderForm(res, 200, state, clicked.answers, {
        notice: format(templates.strings(localeOf(state)).scoreRecorded, { score: String(clicked.answers[first.id]) }),
      });
    return true;
  }

  /** A form's answers to the invitation's survey, with errors in the customer's language. */
  function parseForm(state: Pick<OpenState, 'program' | 'invitation'>, form: Record<string, unknown>) {
    return parseAnswers(
      state.program.survey,
      form,
      state.invitation.known,
      state.invitation.locale,
      answerMessages(state.invitation.locale),
    );
  }

  /** Whether the form carries exactly the answers already stored for this invitation. */
  function repeatsStoredReply(state: Extract<SurveyState, { kind: 'closed' }>, form: Record<string, unknown>) {
    const { answers, errors } = parseForm(state, form);
    return Object.keys(errors).length === 0 && isDeepStrictEqual(answers, state.reply.answers);
  }

  /** The stored reply's answers, or what the survey knows already. */
  function storedAnswers(state: OpenState): Answers {
    return { ...prefilledAnswers(state.program.survey, state.invitation.known), ...(state.reply?.answers ?? {}) };
  }

  /** The answers with the first question set to `raw`, or that question's error. */
  function parseFirstAnswer(
    state: OpenState,
    answers: Answers,
    raw: unknown,
  ): { answers: Answers } | { error: string } {
    const first = state.program.survey.questions[0]!;
    const parsed = parseForm(state, { ...answers, [first.id]: raw });
    const error = parsed.errors[first.id];
    if (error) return { error };
    return { answers: { ...answers, [first.id]: parsed.answers[first.id]! } };
  }

  const renderUnsubscribe = (res: Response, token: string, state: UnsubscribeState) => {
    if (state.kind !== 'found') return renderClosed(res, state.kind);
    render(res, 200, 'unsubscribe', state.invitation.locale, {
      token,
      email: state.invitation.email,
      done: state.unsubscribed,
    });
  };

  router.get(
    '/u/:token',
    allowPublic('unsubscribe link: unguessable token; GET only shows'),
    async (req: Request<{ token: string }>, res) =>
      renderUnsubscribe(res, req.params.token, await unsubscribeState(db, req.params.token)),
  );

  // Also the RFC 8058 one-click POST that mail clients send from the List-Unsubscribe header.
  router.post(
    '/u/:token',
    allowPublic('unsubscribe: unguessable token'),
    async (req: Request<{ token: string }>, res) =>
      renderUnsubscribe(res, req.params.token, await unsubscribeByToken(db, loop, req.params.token)),
  );

  return router;
}

function questionView(
  q: TQuestion,
  index: number,
  answer: unknown,
  error: string | undefined,
  locale: string,
  fallback: string,
) {
  const isScale = ['nps', 'csat', 'ces', 'rating'].includes(q.type);
  const scale = isScale ? scaleOf(q) : undefined;
  const chosen = Array.isArray(answer) ? answer.map(String) : answer === undefined ? [] : [String(answer)];
  return {
    id: q.id,
    number: index + 1,
    label: localize(q.label, locale, fallback),
    required: q.required,
    error,
    isScale,
    isSingle: q.type === 'single',
    isMultiple: q.type === 'multiple',
    isText: q.type === 'text',
    text: typeof answer === 'string' ? answer : '',
    scaleHint: scaleHint(q.type),
    points: scale
      ? Array.from({ length: scale.max - scale.min + 1 }, (_, i) => {
          const value = String(scale.min + i);
          return { value, checked: chosen.includes(value) };
        })
      : [],
    options: (q.options ?? []).map((o) => ({
      value: o.value,
      label: localize(o.label, locale, fallback),
      checked: chosen.includes(o.value),
    })),
  };
}

/** Keys into the page strings for a scale's two ends. */
function scaleHint(type: TQuestion['type']): { low: string; high: string } | undefined {
  return type === 'nps' || type === 'csat' || type === 'ces' ? { low: `${type}Low`, high: `${type}High` } : undefined;
}

function localeOf(state: SurveyState): string {
  return 'invitation' in state ? state.invitation.locale : 'en';
}
