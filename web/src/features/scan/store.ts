/**
 * What a scanner keeps on the device, in IndexedDB, so it works with no network: the event's ticket
 * list and check-ins (from the last download), the public keys, and the scans made offline that
 * still have to be uploaded. One key-value store; each value is replaced whole.
 */
const databaseName = 'onsale-scan';
const storeName = 'kv';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available'));
  });
}

let database: Promise<IDBDatabase> | undefined;

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  database ??= open();
  const db = await database;
  return new Promise((resolve, reject) => {
    const request = work(db.transaction(storeName, mode).objectStore(storeName));
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

export const load = <T>(key: string): Promise<T | undefined> => run<T | undefined>('readonly', (store) => store.get(key));
export const save = (key: string, value: unknown): Promise<void> => run<void>('readwrite', (store) => store.put(value, key)).then(() => undefined);
