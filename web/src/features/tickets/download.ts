import { currentSession } from '../../api/client';

/**
 * Saves the order's PDF tickets. A plain link cannot carry the access token (it never goes in a
 * URL), so the file is fetched with it and handed to the browser as a download.
 */
export async function downloadTicketsPdf(orderId: string): Promise<void> {
  const session = currentSession();
  const response = await fetch(`/api/v1/orders/${orderId}/tickets.pdf`, { headers: session ? { authorization: `Bearer ${session.accessToken}` } : {} });
  if (!response.ok) throw new Error(`The tickets could not be downloaded (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: `tickets-${orderId}.pdf` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
