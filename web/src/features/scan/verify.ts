/**
 * Checks a ticket's QR payload in the browser with the event's public keys (WebCrypto Ed25519), the
 * same rule as the server's (src/features/checkin/signing.ts): `OS1.<keyId>.<ticketId>.<eventId>.<code>.<signature>`,
 * the signature over everything before its dot, spelled one way only.
 */
export interface SignedTicket {
  keyId: string;
  id: string;
  eventId: string;
  code: string;
}

export interface PublicKey {
  id: string;
  publicKey: string;
}

const fromBase64url = (text: string): Uint8Array<ArrayBuffer> => {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
};
const toBase64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** True when this browser can check Ed25519 signatures itself. */
export async function canVerify(): Promise<boolean> {
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

/** The ticket a payload names if it verifies with one of `keys`; undefined otherwise. */
export async function verifyQr(payload: string, keys: readonly PublicKey[]): Promise<SignedTicket | undefined> {
  const parts = payload.split('.');
  if (parts.length !== 6 || parts[0] !== 'OS1') return undefined;
  const [, keyId, id, eventId, code, signature] = parts as [string, string, string, string, string, string];
  const key = keys.find((k) => k.id === keyId);
  if (!key || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return undefined;
  const bytes = fromBase64url(signature);
  if (bytes.length !== 64 || toBase64url(bytes) !== signature) return undefined;
  const publicKey = await crypto.subtle.importKey('raw', fromBase64url(key.publicKey), { name: 'Ed25519' }, false, ['verify']);
  const signed = new TextEncoder().encode(payload.slice(0, payload.lastIndexOf('.')));
  return (await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, bytes, signed)) ? { keyId, id, eventId, code } : undefined;
}
