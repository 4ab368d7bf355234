import { useEffect, useState } from 'react';
import { api, type Output } from '../../api/client';
import { useSession } from '../../app/hooks';

export type Organization = Output<'GET /organizations'>['items'][number];
export type OrgRole = NonNullable<Organization['role']>;

const selectedKey = 'onsale.organization';
const listeners = new Set<(id: string) => void>();

export const roleWords: Record<OrgRole, string> = { owner: 'Owner', manager: 'Manager', box_office: 'Box office', door: 'Door', finance: 'Finance' };

/** What each role may use in the web app: the same table as the server's (features/auth/access.ts). */
const uses = {
  team: ['owner'],
  events: ['owner', 'manager'],
  orders: ['owner', 'manager', 'box_office', 'finance'],
  comp: ['owner', 'manager', 'box_office'],
  cancel: ['owner', 'manager'],
  export: ['owner', 'manager', 'finance'],
  dashboard: ['owner', 'manager', 'finance'],
  scan: ['owner', 'manager', 'box_office', 'door'],
} as const satisfies Record<string, readonly OrgRole[]>;
export type Use = keyof typeof uses;

/** A null role is the platform admin's in an organization it does not belong to: it may use everything. */
export const mayUse = (organization: Organization | undefined, use: Use): boolean =>
  organization !== undefined && (organization.role === null || (uses[use] as readonly OrgRole[]).includes(organization.role));

export function selectOrganization(id: string): void {
  localStorage.setItem(selectedKey, id);
  for (const listener of listeners) listener(id);
}

/** The caller's organizations and the one picked in the switcher (the first by default). */
export function useOrganizations(): { organizations: Organization[]; current: Organization | undefined; loaded: boolean } {
  const userId = useSession()?.user.id;
  const [organizations, setOrganizations] = useState<Organization[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [selected, setSelected] = useState(() => localStorage.getItem(selectedKey));
  useEffect(() => {
    listeners.add(setSelected);
    return () => void listeners.delete(setSelected);
  }, []);
  useEffect(() => {
    if (!userId) {
      setOrganizations([]);
      setLoaded(true);
      return;
    }
    const controller = new AbortController();
    api.organizations.mine(controller.signal).then((page) => {
      setOrganizations(page.items);
      setLoaded(true);
    }, () => {
      // Aborted (unmounted, or the account changed): the next load says when it is loaded.
      if (!controller.signal.aborted) setLoaded(true);
    });
    return () => controller.abort();
  }, [userId]);
  const current = organizations.find((o) => o.id === selected) ?? organizations[0];
  return { organizations, current, loaded };
}

/** The organization switcher: shown when the caller belongs to more than one. */
export function OrganizationSwitcher({ organizations, current }: { organizations: Organization[]; current: Organization | undefined }) {
  if (organizations.length < 2) return current ? <p className="muted">{current.name}{current.role ? ` · ${roleWords[current.role]}` : ''}</p> : null;
  return (
    <label className="field org-switcher">
      <span>Organization</span>
      <select value={current?.id ?? ''} onChange={(e) => selectOrganization(e.target.value)}>
        {organizations.map((o) => <option key={o.id} value={o.id}>{o.name}{o.role ? ` (${roleWords[o.role]})` : ''}</option>)}
      </select>
    </label>
  );
}
