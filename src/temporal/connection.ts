import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: boolean;
}

export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({
    address: settings.address,
    tls: settings.tls || undefined,
    apiKey: settings.apiKey,
  });
  return new Client({ connection, namespace: settings.namespace });
}

export function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: settings.address,
    tls: settings.tls || undefined,
    apiKey: settings.apiKey,
  });
}
