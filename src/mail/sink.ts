import { EventEmitter } from 'node:events';
import { type AddressObject, simpleParser } from 'mailparser';
import type { MongoClient } from 'mongodb';
import { SMTPServer } from 'smtp-server';
import { type SinkMessageDoc, sinkMessages } from '../db/collections';

export interface SmtpSink {
  port: number;
  /** Called with each message once it is stored (a re-delivery included); returns the unsubscribe. */
  onMessage(listener: (message: SinkMessageDoc) => void): () => void;
  close(): Promise<void>;
}

/**
 * The embedded mail catcher: accepts every message on loopback and keeps it in MongoDB, where
 * the admin outbox and `GET /api/outbox` read it. Keyed by Message-ID, so a re-delivered message
 * is kept once (and counted).
 */
export async function startSmtpSink(options: { port: number; client: MongoClient; dbName: string }): Promise<SmtpSink> {
  const collection = sinkMessages(options.client.db(options.dbName));
  const received = new EventEmitter<{ message: [SinkMessageDoc] }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          const messageId = mail.messageId ?? `${session.id}@cxloop-sink`;
          const message: SinkMessageDoc = {
            _id: messageId,
            receivedAt: new Date(),
            from: addressText(mail.from),
            to: addressText(mail.to),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            headers: Object.fromEntries(mail.headerLines.map((h) => [h.key, h.line.slice(h.key.length + 1).trim()])),
          };
          // Kept once; `deliveries` counts how often it came, so a duplicate send shows.
          await collection.updateOne(
            { _id: messageId },
            { $setOnInsert: message, $inc: { deliveries: 1 } },
            { upsert: true },
          );
          received.emit('message', message);
        })
        .then(
          () => callback(),
          (err: Error) => callback(err),
        );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    onMessage(listener) {
      received.on('message', listener);
      return () => received.off('message', listener);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => options.client.close()),
  };
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (!address) return '';
  return (Array.isArray(address) ? address : [address]).map((a) => a.text).join(', ');
}
