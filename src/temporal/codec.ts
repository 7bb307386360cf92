import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import protobuf from 'protobufjs';
import { sourceFile } from '../app-root';

/** One AES-256 key and the ID that encrypted payloads carry, so the right key is found to read them. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12; // 96 bits: GCM's native nonce size
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The inner payload is serialised as Temporal's own `temporal.api.common.v1.Payload` message (the
 * wire layout the Go and Python encryption samples use), so its metadata is encrypted too and another
 * language's codec could read it.
 */
const PayloadMessage = protobuf
  .parse('syntax = "proto3"; message Payload { map<string, bytes> metadata = 1; bytes data = 2; }')
  .root.lookupType('Payload');

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class CodecError extends Error {}

/**
 * Encrypts every payload with AES-256-GCM under the first key; decrypts with whichever key the
 * payload names. Payloads that are not encrypted pass through, so histories written before
 * encryption was turned on (and the checked-in replay histories) still decode.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CodecKey;

  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new CodecError('the payload codec needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key ID is authenticated: a payload relabelled with another key's ID fails to decrypt.
    cipher.setAAD(utf8(id));
    const plain = PayloadMessage.encode(
      PayloadMessage.create({ metadata: payload.metadata ?? {}, data: payload.data ?? new Uint8Array() }),
    ).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) }, data: sealed };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new CodecError(`an encrypted payload without ${KEY_ID_METADATA} metadata`);
    const key = this.byId.get(id);
    if (!key)
      throw new CodecError(
        `an encrypted payload names key ID "${id}", which is not in TEMPORAL_CODEC_KEYS (keep old keys listed until the retention period has passed)`,
      );
    const sealed = payload.data ?? new Uint8Array();
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new CodecError('an encrypted payload is too short');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(utf8(id));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecError(`an encrypted payload failed authentication with key "${id}" (altered, or a different key)`);
    }
    const inner = PayloadMessage.toObject(PayloadMessage.decode(plain), { defaults: true }) as Payload;
    return { metadata: inner.metadata, data: inner.data };
  }
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/**
 * Parses `TEMPORAL_CODEC_KEYS`: a comma-separated list of `<key id>:<base64 of 32 bytes>`, the first
 * encrypting, all decrypting. Throws a message that never repeats a key.
 */
export function parseCodecKeys(value: string): CodecKey[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new CodecError('at least one <key id>:<base64 key>');
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const encoded = entry.slice(colon + 1);
    const where = `entry ${index + 1}`;
    if (!KEY_ID.test(id))
      throw new CodecError(`${where}: <key id>:<base64 key>, the key ID of letters, digits, '.', '_' or '-'`);
    // Node's base64 decoder also takes the URL-safe alphabet.
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (key?.length !== KEY_BYTES)
      throw new CodecError(`${where} (key ID "${id}"): the key must be 32 bytes in base64 (openssl rand -base64 32)`);
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new CodecError(`key ID "${repeated}" is listed twice`);
  return keys;
}

/** A fresh key in the form TEMPORAL_CODEC_KEYS takes (what `npm start` keeps for the demo). */
export function newCodecKeyEntry(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * The module exporting the failure converter (`failureConverter`, failure messages and stack traces
 * encoded, so the codec encrypts them). Workflow bundles are built with it (`bundleCxWorkflows`)
 * and every data converter names it.
 */
export const FAILURE_CONVERTER_PATH = sourceFile(__dirname, 'failure-converter');

/**
 * The data converter of every client and worker: failures with their messages and stack traces
 * encoded, and every payload encrypted when keys are configured (plain JSON otherwise). Failures
 * recorded without encoded attributes (older histories) still decode.
 */
export function codecDataConverter(keys: readonly CodecKey[] | undefined): DataConverter {
  return {
    failureConverterPath: FAILURE_CONVERTER_PATH,
    ...(keys?.length ? { payloadCodecs: [new AesGcmCodec(keys)] } : {}),
  };
}
