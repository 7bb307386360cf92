import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { APP_ROOT } from '../app-root';

export const TEMPLATES_DIR = path.join(APP_ROOT, 'templates');

export type PageStrings = Record<string, string>;

/** `text` with each `{name}` replaced by `values[name]`. */
export function format(text: string | undefined, values: Record<string, string | number>): string {
  return (text ?? '').replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

export interface RenderedEmail {
  html: string;
  text: string;
}

/** Handlebars templates for emails and pages, compiled once and cached. */
export class Templates {
  private readonly hbs = Handlebars.create();
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();
  private readonly stringCache = new Map<string, PageStrings | undefined>();
  /** What ships, listed once: lookups pick from these sets, so no path is ever built from input. */
  private readonly emailFiles: Set<string>;
  readonly pageLocales: ReadonlySet<string>;

  constructor(private readonly dir = TEMPLATES_DIR) {
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.hbs.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value));
    // A metric that may be null (no data): 0 is a value, null is shown as a dash.
    this.hbs.registerHelper('metric', (value: unknown, suffix: unknown) =>
      value === null || value === undefined ? '—' : `${String(value)}${typeof suffix === 'string' ? suffix : ''}`,
    );
    this.hbs.registerHelper('format', (text: unknown, options: Handlebars.HelperOptions) =>
      format(typeof text === 'string' ? text : '', options.hash as Record<string, string | number>),
    );
    this.hbs.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
    this.hbs.registerHelper('date', (value: unknown) =>
      value instanceof Date ? value.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '',
    );
    this.emailFiles = new Set(listDir(path.join(dir, 'emails')));
    this.pageLocales = new Set(
      listDir(path.join(dir, 'strings'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, '')),
    );
    const partials = path.join(dir, 'partials');
    if (existsSync(partials)) {
      for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
        this.hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(path.join(partials, file), 'utf8'));
      }
    }
  }

  /** A page inside `layouts/<layout>.hbs`, which receives the page as `body`. */
  page(name: string, context: Record<string, unknown>, layout = 'main'): string {
    const body = this.compiled(`pages/${name}.hbs`)(context);
    return this.compiled(`layouts/${layout}.hbs`)({ ...context, body });
  }

  /** `emails/<template>.<locale>.{html,text}.hbs`, falling back to `fallbackLocale`, then English. */
  email(template: string, locale: string, fallbackLocale: string, context: Record<string, unknown>): RenderedEmail {
    const chosen = [locale, locale.split('-')[0], fallbackLocale, 'en'].find((l) => l && this.hasEmail(template, l));
    if (!chosen) throw new Error(`no email template ${template} for ${locale}`);
    return {
      html: this.compiled(`emails/${template}.${chosen}.html.hbs`)(context),
      text: this.compiled(`emails/${template}.${chosen}.text.hbs`, { noEscape: true })(context),
    };
  }

  /** Whether `emails/<template>.<locale>.{html,text}.hbs` both ship. */
  hasEmail(template: string, locale: string): boolean {
    return (
      this.emailFiles.has(`${template}.${locale}.html.hbs`) && this.emailFiles.has(`${template}.${locale}.text.hbs`)
    );
  }

  /**
   * Customer-facing page wording for `locale` (`strings/<locale>.json`), English where a
   * locale lacks a string; `{name}` placeholders are filled from `values` by `format`.
   */
  strings(locale: string): PageStrings {
    const english = this.loadStrings('en') ?? {};
    const local = this.loadStrings(locale) ?? this.loadStrings(locale.split('-')[0]!) ?? {};
    return { ...english, ...local };
  }

  private loadStrings(locale: string): PageStrings | undefined {
    if (!this.pageLocales.has(locale)) return undefined;
    if (!this.stringCache.has(locale)) {
      const file = path.join(this.dir, 'strings', `${locale}.json`);
      this.stringCache.set(locale, JSON.parse(readFileSync(file, 'utf8')) as PageStrings);
    }
    return this.stringCache.get(locale);
  }

  private compiled(file: string, options?: CompileOptions): Handlebars.TemplateDelegate {
    let template = this.cache.get(file);
    if (!template) {
      template = this.hbs.compile(readFileSync(path.join(this.dir, file), 'utf8'), { strict: false, ...options });
      this.cache.set(file, template);
    }
    return template;
  }
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
