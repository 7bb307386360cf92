import type { Db } from 'mongodb';
import { programs } from './db/collections';
import { type TProgramInput, ZProgram } from './domain/program';
import { saveProgram } from './web/programs-service';

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
];

export async function seedDemoPrograms(db: Db): Promise<void> {
  for (const input of DEMO_PROGRAMS) {
    if (await programs(db).findOne({ _id: input.id }, { projection: { _id: 1 } })) continue;
    await saveProgram(db, ZProgram.parse(input));
  }
}

export const DEMO_CUSTOMERS = [
  {
    id: 'cust-ada',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    locale: 'en',
    timezone: 'Europe/London',
    attributes: { region: 'EU', vertical: 'retail', revenue: 12000 },
  },
  {
    id: 'cust-max',
    email: 'max@example.com',
    name: 'Max Mustermann',
    locale: 'de',
    timezone: 'Europe/Berlin',
    attributes: { region: 'EU', vertical: 'hospitality', revenue: 800 },
  },
  {
    id: 'cust-grace',
    email: 'grace@example.com',
    name: 'Grace Hopper',
    locale: 'en',
    timezone: 'America/New_York',
    attributes: { region: 'NA', vertical: 'government', revenue: 45000 },
  },
];
