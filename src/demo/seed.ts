import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { invitations, programs, settings, users } from '../db/collections';
import { loadRouting, storeRouting } from '../db/routing';
import { surveyTokenFor } from '../db/survey-tokens';
import { type TProgramInput, ZProgram } from '../domain/program';
import { ZRouting } from '../domain/routing';
import { ZUnits } from '../domain/units';
import { loadUnitTree, storeUnitTree } from '../db/units';
import { hashPassword } from '../app/credentials';
import { storeProgram } from '../app/programs';
import { DEMO_FRONTLINE, seedDemoFrontline } from './frontline';
import { seedDemoGoals } from './goals';

/** Demo survey programs for `npm start`; an operator's later edits are kept. */
export const DEMO_PROGRAMS: TProgramInput[] = [
  {
    id: 'purchase-nps',
    name: 'After purchase (NPS)',
    kind: 'transactional',
    triggers: ['purchase'],
    delay: '5s',
    reminders: ['2m', '10m'],
    expiresAfter: '7d',
    survey: {
      editGrace: '1m',
      followUpWindow: '5m',
      questions: [
        {
          id: 'nps',
          type: 'nps',
          required: true,
          label: {
            en: 'How likely are you to recommend us to a friend or colleague?',
            de: 'Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?',
          },
        },
        {
          id: 'went_wrong',
          type: 'text',
          label: { en: 'We are sorry. What went wrong?', de: 'Das tut uns leid. Was lief schief?' },
          showIf: { question: 'nps', npsCategory: ['detractor'] },
        },
        {
          id: 'make_it_ten',
          type: 'text',
          label: { en: 'What would make it a 10?', de: 'Was hätte es zu einer 10 gemacht?' },
          showIf: { question: 'nps', npsCategory: ['passive'] },
        },
        {
          id: 'went_well',
          type: 'text',
          label: { en: 'Great! What did we do well?', de: 'Schön! Was hat Ihnen gefallen?' },
          showIf: { question: 'nps', npsCategory: ['promoter'] },
        },
        {
          id: 'store',
          type: 'single',
          label: 'Which store did you buy from?',
          knownAs: 'store',
          options: [
            { value: 'berlin', label: 'Berlin' },
            { value: 'paris', label: 'Paris' },
            { value: 'online', label: 'Online shop' },
          ],
        },
      ],
    },
    email: {
      subject: { en: 'How was your purchase?', de: 'Wie war Ihr Einkauf?' },
      intro: {
        en: 'Thank you for your recent purchase. How did we do?',
        de: 'Danke für Ihren Einkauf. Wie waren wir?',
      },
      why: {
        en: 'Your answer goes straight to the store manager, and we will tell you what we changed because of it.',
        de: 'Ihre Antwort geht direkt an die Filialleitung, und wir berichten Ihnen, was wir daraufhin ändern.',
      },
    },
    contactRules: {
      minIntervalAnyProgram: '1m',
      minIntervalSameProgram: '1m',
      maxPerWindow: { count: 10, window: '1d' },
      whenThrottled: 'skip',
      frequentTransactor: { maxTransactions: 5, window: '1d' },
    },
    caseRules: [
      { when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor (NPS ≤ 6)' },
      { when: { verbatim: ['cancel*', 'kündig*'] }, priority: 'urgent', reason: 'Mentions cancelling' },
      {
        when: {
          all: [
            { attribute: 'revenue', op: 'gte', value: 40000 },
            { metric: 'nps', op: 'lte', value: 8 },
          ],
        },
        priority: 'high',
        reason: 'Key account (revenue ≥ 40,000) not promoting',
      },
    ],
    caseHandling: { sla: { firstResponse: '4h', resolution: '2d' }, acknowledgeCustomer: true },
    themes: {
      delivery: ['delivery', 'shipping', 'late', 'arrived', 'courier'],
      staff: ['staff', 'rude', 'friendly', 'helpful', 'cashier'],
      price: ['price', 'expensive', 'cheap', 'refund*'],
      quality: ['broken', 'quality', 'defect*', 'damaged'],
    },
  },
  {
    id: 'service-csat',
    name: 'After a service call or installation (CSAT + CES)',
    kind: 'transactional',
    triggers: ['service_call', 'installation'],
    delay: '10s',
    reminders: ['3d'],
    expiresAfter: '14d',
    survey: {
      questions: [
        {
          id: 'csat',
          type: 'csat',
          required: true,
          label: {
            en: 'How satisfied are you with the service you received?',
            de: 'Wie zufrieden sind Sie mit dem Service?',
          },
        },
        {
          id: 'ces',
          type: 'ces',
          label: {
            en: 'How easy was it to get your issue resolved?',
            de: 'Wie einfach war es, Ihr Anliegen zu lösen?',
          },
        },
        {
          id: 'issues',
          type: 'multiple',
          label: { en: 'What could we improve?', de: 'Was können wir verbessern?' },
          showIf: { question: 'csat', max: 3 },
          options: [
            { value: 'wait', label: { en: 'Waiting time', de: 'Wartezeit' } },
            { value: 'knowledge', label: { en: 'Technician knowledge', de: 'Fachwissen' } },
            { value: 'communication', label: { en: 'Communication', de: 'Kommunikation' } },
          ],
        },
        {
          id: 'comment',
          type: 'text',
          label: { en: 'Anything else you would like to tell us?', de: 'Möchten Sie uns noch etwas sagen?' },
        },
      ],
    },
    email: {
      subject: { en: 'How did our visit go?', de: 'Wie war unser Service-Einsatz?' },
      intro: {
        en: 'Our technician visited you recently. How did it go?',
        de: 'Unser Techniker war kürzlich bei Ihnen. Wie lief es?',
      },
    },
    contactRules: { quietHours: { start: '21:00', end: '08:00' }, whenThrottled: 'defer' },
    themes: { waiting: ['wait*', 'late', 'delay*'], technician: ['technician', 'engineer', 'knowledge*'] },
  },
  {
    id: 'relationship-nps',
    name: 'Yearly relationship NPS',
    kind: 'relationship',
    // Every customer once a year, each on their own day, so the relationship score is always current.
    cadence: { cycle: 'yearly', runAt: '10:00', timezone: 'Europe/Berlin' },
    reminders: ['3d'],
    expiresAfter: '14d',
    survey: {
      questions: [
        {
          id: 'nps',
          type: 'nps',
          required: true,
          label: {
            en: 'Overall, how likely are you to recommend us to a friend or colleague?',
            de: 'Wie wahrscheinlich ist es insgesamt, dass Sie uns weiterempfehlen?',
          },
        },
        {
          id: 'improve',
          type: 'text',
          label: { en: 'What should we improve first?', de: 'Was sollten wir zuerst verbessern?' },
        },
      ],
    },
    email: {
      subject: { en: 'A year with us: how are we doing?', de: 'Ein Jahr mit uns: Wie machen wir uns?' },
      intro: {
        en: 'Once a year we ask every customer how we are doing overall.',
        de: 'Einmal im Jahr fragen wir alle Kunden, wie zufrieden sie insgesamt sind.',
      },
    },
    contactRules: { quietHours: { start: '21:00', end: '08:00' }, whenThrottled: 'defer' },
    themes: { price: ['price*', 'expensive', 'cost*'], support: ['support', 'help*', 'service'] },
  },
  {
    id: 'delivery-probe',
    name: 'Delivery probe (pulsed)',
    kind: 'pulsed',
    reminders: [],
    // Short, so that the demo campaign has finished a minute after start.
    expiresAfter: '1m',
    survey: {
      questions: [
        {
          id: 'ces',
          type: 'ces',
          required: true,
          label: {
            en: 'How easy was it to get your order delivered?',
            de: 'Wie einfach war es, Ihre Bestellung geliefert zu bekommen?',
          },
        },
      ],
    },
    email: {
      subject: { en: 'One quick question about delivery', de: 'Eine kurze Frage zur Lieferung' },
      intro: {
        en: 'We are changing our delivery partner and would like your view first.',
        de: 'Wir wechseln unseren Lieferpartner und möchten vorher Ihre Meinung hören.',
      },
    },
    // A probe asks even customers surveyed a moment ago (the demo's purchase survey).
    contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
  },
  {
    id: 'onboarding',
    name: 'Onboarding journey (NPS)',
    kind: 'transactional',
    triggers: ['signup', 'kyc', 'first_order'],
    journey: { name: 'Onboarding', touchPoints: ['signup', 'kyc', 'first_order'] },
    reminders: [],
    survey: {
      questions: [
        { id: 'nps', type: 'nps', required: true, label: 'How likely are you to recommend us, after this step?' },
        { id: 'comment', type: 'text', label: 'Anything we could have done better?' },
      ],
    },
    email: { subject: 'How did this step go?', intro: 'You are getting started with us: tell us how it went.' },
    contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
  },
  {
    id: 'support-journey',
    name: 'Support request journey (CSAT)',
    kind: 'transactional',
    triggers: ['ticket_opened', 'ticket_closed'],
    journey: { name: 'Support request', touchPoints: ['ticket_opened', 'ticket_closed'] },
    reminders: [],
    survey: { questions: [{ id: 'csat', type: 'csat', required: true, label: 'How satisfied are you so far?' }] },
    email: { subject: 'About your support request', intro: 'Tell us how your request is going.' },
    contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
  },
];

/**
 * The demo's campaign: the delivery probe to the three demo customers (not the year of history's
 * customers), once (its ID makes a restart find it).
 */
export const DEMO_CAMPAIGN = {
  id: 'demo-delivery-probe',
  name: 'Delivery probe to the demo customers',
  programId: 'delivery-probe',
  segment: { attributes: { cohort: ['demo'] } },
};

export async function seedDemoPrograms(db: Db): Promise<void> {
  for (const input of DEMO_PROGRAMS) {
    if (await programs(db).findOne({ _id: input.id }, { projection: { _id: 1 } })) continue;
    await storeProgram(db, ZProgram.parse(input));
  }
}

export const DEMO_CUSTOMERS = [
  {
    id: 'cust-ada',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    locale: 'en',
    timezone: 'Europe/London',
    attributes: { region: 'EU', vertical: 'retail', revenue: 12000, cohort: 'demo' },
  },
  {
    id: 'cust-max',
    email: 'max@example.com',
    name: 'Max Mustermann',
    locale: 'de',
    timezone: 'Europe/Berlin',
    attributes: { region: 'EU', vertical: 'hospitality', revenue: 800, cohort: 'demo' },
  },
  {
    id: 'cust-grace',
    email: 'grace@example.com',
    name: 'Grace Hopper',
    locale: 'en',
    timezone: 'America/New_York',
    attributes: { region: 'NA', vertical: 'government', revenue: 45000, cohort: 'demo' },
  },
];

/**
 * The demo's case handlers (two owners, their manager, and the head of CX above her) and a general
 * manager per region, who sees their region's customers as its unit's manager (and no other unit).
 */
export const DEMO_PEOPLE = [
  { key: 'owner', email: 'olga@cxloop.localhost', name: 'Olga Owner', role: 'case_owner' },
  { key: 'owner2', email: 'ben@cxloop.localhost', name: 'Ben Baker', role: 'case_owner' },
  { key: 'manager', email: 'maria@cxloop.localhost', name: 'Maria Manager', role: 'case_owner' },
  { key: 'head', email: 'henry@cxloop.localhost', name: 'Henry Head of CX', role: 'operations' },
  { key: 'gmEu', email: 'gm-eu@cxloop.localhost', name: 'Greta GM Europe', role: 'viewer', units: [] },
  { key: 'gmNa', email: 'gm-na@cxloop.localhost', name: 'Nate GM North America', role: 'viewer', units: [] },
  { key: 'gmApac', email: 'gm-apac@cxloop.localhost', name: 'Priya GM Asia-Pacific', role: 'viewer', units: [] },
  DEMO_FRONTLINE,
] as const;

const location = (id: string, name: string, parentId: string) => ({
  id,
  name,
  parentId,
  manager: null,
  match: { location: [name] },
});

/** A region's unit, managed by its general manager (gm-<id>@cxloop.localhost). */
const region = (id: string, name: string, code: string) => ({
  id,
  name,
  parentId: 'company',
  manager: `gm-${id}@cxloop.localhost`,
  match: { region: [code] },
});

/** Company → the demo customers' regions (each with its general manager) → their locations. */
export const DEMO_UNITS = [
  { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
  region('eu', 'Europe', 'EU'),
  location('berlin', 'Berlin', 'eu'),
  location('paris', 'Paris', 'eu'),
  location('london', 'London', 'eu'),
  region('na', 'North America', 'NA'),
  location('new-york', 'New York', 'na'),
  location('toronto', 'Toronto', 'na'),
  region('apac', 'Asia-Pacific', 'APAC'),
  location('sydney', 'Sydney', 'apac'),
  location('singapore', 'Singapore', 'apac'),
];

const officeHours = (timezone: string) => ({
  timezone,
  weekly: Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [{ start: '09:00', end: '17:00' }]]),
  ),
  holidays: ['2026-12-25', '2027-01-01'],
});

/** Teams by region with office hours; seeded once, an admin's later routing is kept. */
export const DEMO_ROUTING = {
  teams: [
    {
      id: 'eu-care',
      name: 'EU customer care',
      members: ['olga@cxloop.localhost', 'ben@cxloop.localhost'],
      manager: 'maria@cxloop.localhost',
      match: { region: ['EU'] },
      assignment: 'round-robin',
      calendar: officeHours('Europe/Berlin'),
      unit: 'eu',
    },
    {
      id: 'na-care',
      name: 'North America care',
      members: ['ben@cxloop.localhost'],
      manager: 'maria@cxloop.localhost',
      match: { region: ['NA'] },
      calendar: officeHours('America/New_York'),
      unit: 'na',
    },
  ],
  fallbackTeam: 'eu-care',
  managerAbove: { 'maria@cxloop.localhost': 'henry@cxloop.localhost' },
};

/**
 * Creates the demo people (passwords generated once, kept in MongoDB), and the units, the routing
 * and the units' goals if an admin has not set them up.
 */
export async function seedDemoCaseTeams(db: Db): Promise<{ email: string; name: string; password: string }[]> {
  const people = [];
  for (const person of DEMO_PEOPLE) {
    const password = await demoPassword(db, person.email);
    await users(db).updateOne(
      { _id: person.email },
      {
        $setOnInsert: {
          email: person.email,
          name: person.name,
          role: person.role,
          ...('units' in person ? { units: [...person.units] } : {}),
          passwordHash: await hashPassword(password),
          authVersion: 0,
          createdAt: new Date(),
        },
      },
      { upsert: true },
    );
    // FerretDB v1 leaves an empty list out of an upsert's $setOnInsert: without it a GM would see everything.
    if ('units' in person)
      await users(db).updateOne(
        { _id: person.email, units: { $exists: false } },
        { $set: { units: [...person.units] } },
      );
    people.push({ email: person.email, name: person.name, password });
  }
  // A lost race with another starting process leaves its identical tree.
  if ((await loadUnitTree(db)).version === 0) await storeUnitTree(db, ZUnits.parse(DEMO_UNITS), 0, 'demo');
  if (!(await loadRouting(db))) await storeRouting(db, ZRouting.parse(DEMO_ROUTING), 'demo');
  await seedDemoFrontline(db);
  await seedDemoGoals(db);
  return people;
}

async function demoPassword(db: Db, email: string): Promise<string> {
  const id = `demo-password:${email}`;
  await settings(db).updateOne(
    { _id: id },
    { $setOnInsert: { value: randomBytes(9).toString('base64url') } },
    { upsert: true },
  );
  return (await settings(db).findOne({ _id: id }))!.value;
}

/**
 * Answers a demo invitation as its customer would, through the survey page, once it has been sent
 * (an invitation answered already is left alone). Waits up to `seconds` for the send.
 */
export async function answerAsCustomer(
  db: Db,
  baseUrl: string,
  tokenSecret: string,
  invitationId: string,
  answers: Record<string, string>,
  seconds = 120,
): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    const invitation = await invitations(db).findOne({ _id: invitationId }, { projection: { status: 1 } });
    if (invitation?.status === 'answered') return;
    if (invitation?.status === 'sent' || invitation?.status === 'reminded') {
      const response = await fetch(`${baseUrl}/s/${surveyTokenFor(tokenSecret, invitationId)}`, {
        method: 'POST',
        body: new URLSearchParams(answers),
      });
      if (!response.ok) throw new Error(`the demo reply to ${invitationId} was refused (${response.status})`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`the demo invitation ${invitationId} was not sent`);
}

/**
 * The demo's detractor: Max answers his purchase survey with a 3 and a complaint, as a customer
 * would through the survey page, so a case opens (once the edit grace has passed) for a demo owner.
 */
export function answerAsDemoDetractor(db: Db, baseUrl: string, tokenSecret: string): Promise<void> {
  return answerAsCustomer(db, baseUrl, tokenSecret, 'purchase-nps:demo-purchase-cust-max', {
    nps: '3',
    went_wrong: 'Die Lieferung kam zwei Tage zu spät und der Karton war beschädigt.',
  });
}
