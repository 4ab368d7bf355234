import { currentSession } from '../../api/client';

/**
 * Saves the order's PDF tickets. A plain link cannot carry the access token (it never goes in a
 * URL), so the file is fetched with it and handed to the browser as a download.
 */
export const downloadTicketsPdf = (orderId: string) => downloadPdf(orderId, 'tickets');

/** Saves the order's receipt (its breakdown of what was paid), the same way. */
export const downloadReceiptPdf = (orderId: string) => downloadPdf(orderId, 'receipt');

async function downloadPdf(orderId: string, file: 'tickets' | 'receipt'): Promise<void> {
  const session = currentSession();
  const response = await fetch(`/api/v1/orders/${orderId}/${file}.pdf`, { headers: session ? { authorization: `Bearer ${session.accessToken}` } : {} });
  if (!response.ok) throw new Error(`The ${file === 'tickets' ? 'tickets' : 'receipt'} could not be downloaded (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: `${file}-${orderId}.pdf` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
