import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  /** A display name goes in `name`, never into the address string, so it is quoted properly. */
  from: string | { name: string; address: string };
  subject: string;
  html: string;
  text: string;
  messageId: string;
  /** Where the customer's answer goes, e.g. the case owner. */
  replyTo?: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** An SMTP rejection of the message itself (5xx), which retrying cannot fix. */
export class PermanentDeliveryError extends Error {}

/**
 * The web tier's mailer when SMTP_URL is unset: the web sends nothing but the program editor's
 * test emails, so it starts without one and the test says what is missing.
 */
export const noMailer: Mailer = {
  send: () => Promise.reject(new Error('no mail server is configured for the web tier (set SMTP_URL)')),
  close: () => {},
};

export function createMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl, { pool: true, maxConnections: 3 } as object);
  return {
    async send(email) {
      try {
        await transport.sendMail({ ...email, messageId: email.messageId });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (code && code >= 500 && code < 600) throw new PermanentDeliveryError((err as Error).message);
        throw err;
      }
    },
    close: () => transport.close(),
  };
}
