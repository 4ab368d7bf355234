import { useState, type FormEvent } from 'react';
import { api, type Output } from '../../api/client';
import { formatDate } from '../../app/format';
import { asApiError, useLoad } from '../../app/hooks';
import { mayUse, OrganizationSwitcher, roleWords, useOrganizations, type OrgRole } from './organizations';

const roles = Object.keys(roleWords) as OrgRole[];

/** The owner's page: members and their roles, invitations, API keys. */
export function TeamPage() {
  const { organizations, current, loaded } = useOrganizations();
  if (!loaded) return <p className="loading" aria-busy="true">Loading…</p>;
  if (!current) return <section className="panel"><h1>Team</h1><p>You belong to no organization.</p></section>;
  return (
    <div>
      <div className="panel-head"><h1>Team</h1><OrganizationSwitcher organizations={organizations} current={current} /></div>
      {mayUse(current, 'team') ? (
        <>
          <Members organizationId={current.id} />
          <ApiKeys organizationId={current.id} />
        </>
      ) : <p className="notice">Only the organization's owners manage its team and API keys.</p>}
    </div>
  );
}

function RoleSelect({ value, onChange, label }: { value: OrgRole; onChange: (role: OrgRole) => void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as OrgRole)}>
      {roles.map((r) => <option key={r} value={r}>{roleWords[r]}</option>)}
    </select>
  );
}

function Members({ organizationId }: { organizationId: string }) {
  const members = useLoad((signal) => api.organizations.members(organizationId, signal), [organizationId]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<OrgRole>('box_office');
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      setMessage({ text: done, error: false });
      await members.reload();
    } catch (error) {
      setMessage({ text: asApiError(error).message, error: true });
    }
  };
  const invite = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await api.organizations.addMember(organizationId, { email, role });
      setEmail('');
    }, `${email} was added or invited.`);
  };
  return (
    <section className="panel" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {message && <p role={message.error ? 'alert' : 'status'} className={`notice${message.error ? ' error' : ''}`}>{message.text}</p>}
      <ul className="plain-list" data-testid="members">
        {members.data?.items.map((m) => (
          <li key={m.userId} className="list-row">
            <div><strong>{m.name}</strong> <span className="muted">{m.email}</span></div>
            <div className="row-actions">
              <RoleSelect label={`Role of ${m.email}`} value={m.role} onChange={(next) => void act(() => api.organizations.setRole(organizationId, m.userId, { role: next }), `${m.email} is now ${roleWords[next]}.`)} />
              <button type="button" className="button" onClick={() => void act(() => api.organizations.removeMember(organizationId, m.userId), `${m.email} was removed.`)}>Remove</button>
            </div>
          </li>
        ))}
      </ul>
      {members.data && members.data.invitations.length > 0 && (
        <>
          <h3>Invitations not yet used</h3>
          <ul className="plain-list" data-testid="invitations">
            {members.data.invitations.map((i) => (
              <li key={i.id} className="list-row">
                <div>{i.email} <span className="muted">· {roleWords[i.role]} · until {formatDate(i.expiresAt)}</span></div>
                <button type="button" className="button" aria-label={`Revoke the invitation of ${i.email}`} onClick={() => void act(() => api.organizations.revokeInvitation(organizationId, i.id), `The invitation of ${i.email} was withdrawn.`)}>Revoke</button>
              </li>
            ))}
          </ul>
        </>
      )}
      <form onSubmit={invite} className="inline-form">
        <label className="field"><span>Email</span><input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        <label className="field"><span>Role</span><RoleSelect label="Role" value={role} onChange={setRole} /></label>
        <button type="submit" className="button primary">Add or invite</button>
      </form>
    </section>
  );
}

type NewKey = Output<'POST /organizations/:id/api-keys'>;

function ApiKeys({ organizationId }: { organizationId: string }) {
  const keys = useLoad((signal) => api.organizations.keys(organizationId, signal), [organizationId]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<OrgRole>('door');
  const [created, setCreated] = useState<NewKey>();
  const [error, setError] = useState<string>();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      setCreated(await api.organizations.createKey(organizationId, { name, role }));
      setName('');
      await keys.reload();
    } catch (failure) {
      setError(asApiError(failure).message);
    }
  };
  return (
    <section className="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {error && <p role="alert" className="notice error">{error}</p>}
      {created && (
        <div role="status" className="notice">
          <p>Copy the key for “{created.name}” now: it is not shown again.</p>
          <code data-testid="new-key">{created.key}</code>
        </div>
      )}
      <ul className="plain-list" data-testid="api-keys">
        {keys.data?.items.map((k) => (
          <li key={k.id} className="list-row">
            <div><strong>{k.name}</strong> <span className="muted">{k.prefix}… · {roleWords[k.role]} · {k.lastUsedAt ? `used ${formatDate(k.lastUsedAt)}` : 'never used'}{k.revokedAt ? ' · revoked' : ''}</span></div>
            {!k.revokedAt && <button type="button" className="button" onClick={() => void api.organizations.revokeKey(organizationId, k.id).then(keys.reload, (f: unknown) => setError(asApiError(f).message))}>Revoke {k.name}</button>}
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => void create(e)} className="inline-form">
        <label className="field"><span>Key name</span><input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label className="field"><span>Key role</span><RoleSelect label="Key role" value={role} onChange={setRole} /></label>
        <button type="submit" className="button primary">Create key</button>
      </form>
    </section>
  );
}
