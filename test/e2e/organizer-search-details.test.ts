/**
 * Issue 17, data: the organizer pages edit what search finds an event by — its performers and tags,
 * and its venue's address and coordinates — when creating the event and on its dashboard afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe("an event's search details in the organizer pages", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('sets performers, tags and the venue\'s place on a new event, then edits them on the dashboard, and buyers find it by them', async () => {
    const page = await e2e.adminPage();
    await page.goto('/organizer/new');
    await page.getByLabel('Venue name').fill('Quay Pavilion');
    await page.getByLabel('City', { exact: true }).fill('Aveiro');
    await page.getByLabel('Address').fill('Cais dos Botirões 1');
    await page.getByLabel('Latitude').fill('40.6405');
    await page.getByLabel('Longitude').fill('-8,6538');
    await page.getByLabel('Title', { exact: true }).fill('Salt Flats Session');
    await page.getByLabel('Performers (one per line, headliner first)').fill('Marisol Quintero\n  The Tidewater Trio \n');
    await page.getByLabel('Tags (comma-separated)').fill('jazz, riverside,');
    await page.getByRole('button', { name: 'Create event (draft)' }).click();
    await page.waitForURL(/\/organizer\/events\//);
    const eventId = page.url().split('/').pop()!.split('?')[0]!;

    const created = (await e2e.app.request('GET', `/api/v1/events/${eventId}`, { token: e2e.app.adminToken })).body;
    expect(created).toMatchObject({ performers: ['Marisol Quintero', 'The Tidewater Trio'], tags: ['jazz', 'riverside'] });
    expect((await e2e.app.request('GET', `/api/v1/venues/${created.venueId}`)).body).toMatchObject({ address: 'Cais dos Botirões 1', latitude: 40.6405, longitude: -8.6538 });
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByTestId('event-status').textContent()).toBe('published');

    const details = page.getByRole('region', { name: 'Search details' });
    await expect(details.getByLabel('Performers (one per line, headliner first)').inputValue()).resolves.toBe('Marisol Quintero\nThe Tidewater Trio');
    await expect.poll(() => details.getByLabel('Latitude').inputValue()).toBe('40.6405');
    await details.getByLabel('Performers (one per line, headliner first)').fill('Marisol Quintero\nOctavia Brightwater');
    await details.getByLabel('Tags (comma-separated)').fill('jazz, sunset');
    await details.getByLabel('Address').fill('');
    await details.getByLabel('Latitude').fill('41.1579');
    await details.getByLabel('Longitude').fill('-8.6291');
    await details.getByRole('button', { name: 'Save search details' }).click();
    await expect.poll(() => details.getByRole('status').textContent()).toBe('Saved.');

    const edited = (await e2e.app.request('GET', `/api/v1/events/${eventId}`)).body;
    expect(edited).toMatchObject({ performers: ['Marisol Quintero', 'Octavia Brightwater'], tags: ['jazz', 'sunset'] });
    expect((await e2e.app.request('GET', `/api/v1/venues/${created.venueId}`)).body).toMatchObject({ address: null, latitude: 41.1579, longitude: -8.6291 });
    // Found near its new place (Porto), not its old one (Aveiro, 60 km away), by the new performer and tag.
    const near = async (point: string) => (await e2e.app.request('GET', `/api/v1/events?near=${point}&radiusKm=10`)).body.items.map((item: { id: string }) => item.id);
    expect(await near('41.15,-8.61')).toContain(eventId);
    expect(await near('40.64,-8.65')).not.toContain(eventId);
    expect((await e2e.app.request('GET', '/api/v1/events?q=octavia%20brightwater')).body.items[0]).toMatchObject({ id: eventId });
    expect((await e2e.app.request('GET', '/api/v1/events?q=sunset')).body.items.map((item: { id: string }) => item.id)).toContain(eventId);
    expect((await e2e.app.request('GET', '/api/v1/search/suggest?q=octavia%20bright')).body.suggestions).toContainEqual({ kind: 'performer', text: 'Octavia Brightwater' });
  });

  it('refuses coordinates out of range with the API\'s words, keeping what was typed', async () => {
    const event = await e2e.app.createEvent({ title: 'Edge of the Map' });
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const details = page.getByRole('region', { name: 'Search details' });
    await expect.poll(() => details.getByRole('button', { name: 'Save search details' }).isEnabled()).toBe(true);
    await details.getByLabel('Latitude').fill('91');
    await details.getByRole('button', { name: 'Save search details' }).click();
    await expect.poll(() => details.getByRole('alert').textContent()).toContain('latitude');
    await expect(details.getByLabel('Latitude').inputValue()).resolves.toBe('91');
  });
});
