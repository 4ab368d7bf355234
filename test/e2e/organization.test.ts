import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, createTeamEvent, type Team } from '../support/orgs.js';
import { logIn } from './browser.js';
import { startE2e, type E2e } from './harness.js';

/**
 * An organization's team in the browser (issue 14): the owner invites a member and makes an API
 * key (shown once); the box office searches orders, sends a complimentary order and cannot cancel;
 * a manager cancels one ticket of an order and downloads the CSV; a new event offers only its
 * organization's venues; the door sees neither orders nor team. The owner also withdraws an invitation.
 */
describe('an organization in the browser', () => {
  let e2e: E2e;
  let team: Team;
  let event: any;
  let order: any;
  let buyerEmail: string;

  beforeAll(async () => {
    e2e = await startE2e();
    team = await createTeam(e2e.app, 'Harbour Nights');
    event = await createTeamEvent(e2e.app, team, { title: 'Harbour Jazz', maxTicketsPerOrder: 10 });
    const buyer = await e2e.app.registerBuyer();
    buyerEmail = buyer.email;
    const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 3 } });
    order = (await e2e.app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
  });
  afterAll(() => e2e?.close());

  const pageAs = async (role: keyof Team['members']) => {
    const page = await e2e.browser.newPage();
    await logIn(page, team.members[role].email, 'correct horse');
    return page;
  };

  it('lets the owner invite a member and make an API key that is shown once', async () => {
    const page = await pageAs('owner');
    await page.getByRole('link', { name: 'Organizer' }).click();
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByTestId('members').getByText(team.members.door.email).waitFor();

    const invited = `invited-${Date.now()}@example.test`;
    await page.getByLabel('Email').fill(invited);
    await page.getByLabel('Role', { exact: true }).selectOption('finance');
    await page.getByRole('button', { name: 'Add or invite' }).click();
    await page.getByTestId('invitations').getByText(invited).waitFor();
    // A second invitation, withdrawn: it leaves the list, and the server no longer lists it.
    const withdrawn = `withdrawn-${Date.now()}@example.test`;
    await page.getByLabel('Email').fill(withdrawn);
    await page.getByRole('button', { name: 'Add or invite' }).click();
    await page.getByTestId('invitations').getByText(withdrawn).waitFor();
    await page.getByRole('button', { name: `Revoke the invitation of ${withdrawn}` }).click();
    await page.getByRole('status').getByText(`The invitation of ${withdrawn} was withdrawn.`).waitFor();
    expect(await page.getByTestId('invitations').getByText(withdrawn).count()).toBe(0);
    const listed = await e2e.app.request('GET', `/api/v1/organizations/${team.organizationId}/members`, { token: team.members.owner.token });
    expect(listed.body.invitations.map((i: { email: string }) => i.email)).toEqual([invited]);

    await page.getByLabel('Key name').fill('Scanner app');
    await page.getByLabel('Key role').selectOption('door');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('new-key').textContent();
    expect(key).toMatch(/^onsk_/);
    expect((await e2e.app.request('GET', '/api/v1/organizations', { token: key! })).body.items[0].role).toBe('door');
    await page.reload();
    await page.getByTestId('api-keys').getByText('Scanner app', { exact: true }).waitFor();
    expect(await page.getByTestId('new-key').count()).toBe(0);
  });

  it('lets the box office find an order and send complimentary tickets, but not cancel', async () => {
    const page = await pageAs('box_office');
    await page.goto('/organizer');
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByLabel('Search orders').fill(buyerEmail);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('desk-orders').getByText(buyerEmail).waitFor();
    expect(await page.getByRole('button', { name: /Cancel tickets/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Download CSV' }).count()).toBe(0);

    await page.getByLabel('Recipient email').fill(`guest-${Date.now()}@example.test`);
    await page.getByLabel('Tickets').fill('2');
    await page.getByLabel('Reason').fill('Press');
    await page.getByRole('button', { name: 'Send tickets' }).click();
    await page.getByRole('status').getByText(/Complimentary order sent/).waitFor();
  });

  it('lets a manager cancel one ticket of an order and download the CSV', async () => {
    const page = await pageAs('manager');
    await page.goto(`/organizer/events/${event.id}/orders`);
    await page.getByLabel('Search orders').fill(buyerEmail);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: /Cancel tickets of/ }).click();
    await page.getByRole('group', { name: 'Tickets to cancel' }).getByRole('checkbox').first().check();
    await page.getByRole('button', { name: 'Cancel selected tickets' }).click();
    await page.getByRole('status').getByText(/1 ticket\(s\) cancelled/).waitFor();
    await page.getByTestId('desk-orders').getByText(/Partly cancelled/).waitFor();
    const after = await e2e.app.request('GET', `/api/v1/orders/${order.id}`, { token: team.members.manager.token });
    expect(after.body.tickets.filter((t: { status: string }) => t.status === 'void')).toHaveLength(1);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toContain('order_number');
    expect(csv).toContain(buyerEmail);
  });

  it('offers a new event only the venues of the organization picked', async () => {
    const other = await createTeam(e2e.app, 'Elsewhere Co');
    const both = await e2e.app.registerBuyer();
    for (const organization of [team, other]) {
      const added = await e2e.app.request('POST', `/api/v1/organizations/${organization.organizationId}/members`, { token: organization.members.owner.token, body: { email: both.email, role: 'manager' } });
      expect(added.status).toBe(201);
    }
    const page = await e2e.browser.newPage();
    await logIn(page, both.email, 'correct horse');
    const venuesOffered = async (organizationName: string) => {
      await page.goto('/organizer');
      await page.getByLabel('Organization').selectOption({ label: `${organizationName} (Manager)` });
      await page.goto('/organizer/new');
      // The select's own options are part of its label's text, so it is found by the label's caption.
      const venue = page.locator('label', { has: page.getByText('Venue', { exact: true }) }).locator('select');
      await venue.locator('option', { hasText: `${organizationName} Hall` }).waitFor({ state: 'attached' });
      return venue.locator('option').allTextContents();
    };
    expect(await venuesOffered('Harbour Nights')).toEqual(['New venue…', 'Harbour Nights Hall, Porto']);
    expect(await venuesOffered('Elsewhere Co')).toEqual(['New venue…', 'Elsewhere Co Hall, Porto']);
  });

  it('shows the door neither orders nor the team', async () => {
    const page = await pageAs('door');
    await page.goto('/organizer');
    await page.getByRole('link', { name: 'Scan tickets' }).waitFor();
    expect(await page.getByRole('link', { name: 'Orders', exact: true }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Team' }).count()).toBe(0);
  });
});
