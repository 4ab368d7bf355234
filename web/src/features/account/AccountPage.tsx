import { useState, type FormEvent } from 'react';
import { api, currentSession, setSession } from '../../api/client';
import { asApiError } from '../../app/hooks';
import { navigate } from '../../app/router';

/** The buyer's account: name and email, a new password, and ending every session. */
export function AccountPage() {
  const user = currentSession()?.user;
  const [name, setName] = useState(user?.name ?? '');
  const [passwords, setPasswords] = useState({ currentPassword: '', newPassword: '' });
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string; about: 'name' | 'password' | 'sessions' }>();
  const [busy, setBusy] = useState(false);
  if (!user) return null;

  const act = async (about: 'name' | 'password' | 'sessions', action: () => Promise<string>) => {
    setBusy(true);
    setStatus(undefined);
    try {
      setStatus({ kind: 'ok', text: await action(), about });
    } catch (error) {
      setStatus({ kind: 'error', text: asApiError(error).message, about });
    } finally {
      setBusy(false);
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    void act('name', async () => {
      const renamed = await api.auth.rename(name);
      const session = currentSession();
      if (session) setSession({ ...session, user: renamed });
      return 'Your name is saved.';
    });
  };
  const changePassword = (e: FormEvent) => {
    e.preventDefault();
    void act('password', async () => {
      await api.auth.changePassword(passwords);
      setPasswords({ currentPassword: '', newPassword: '' });
      return 'Your password is changed. Other devices are logged out.';
    });
  };
  const message = (about: 'name' | 'password' | 'sessions') =>
    status?.about === about ? <p role={status.kind === 'error' ? 'alert' : 'status'} className={`notice ${status.kind === 'error' ? 'error' : 'success'}`}>{status.text}</p> : null;

  return (
    <div className="auth-form account">
      <h1>Your account</h1>
      <form className="panel" aria-labelledby="profile-title" onSubmit={rename}>
        <h2 id="profile-title">Profile</h2>
        <p><span className="muted">Email</span><br /><strong data-testid="account-email">{user.email}</strong></p>
        <label className="field"><span>Name</span><input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} /></label>
        {message('name')}
        <button type="submit" className="button" disabled={busy}>Save name</button>
      </form>
      <form className="panel" aria-labelledby="password-title" onSubmit={changePassword}>
        <h2 id="password-title">Change password</h2>
        <label className="field"><span>Current password</span><input type="password" required autoComplete="current-password" value={passwords.currentPassword} onChange={(e) => setPasswords({ ...passwords, currentPassword: e.target.value })} /></label>
        <label className="field"><span>New password</span><input type="password" required minLength={8} autoComplete="new-password" value={passwords.newPassword} onChange={(e) => setPasswords({ ...passwords, newPassword: e.target.value })} /></label>
        {message('password')}
        <button type="submit" className="button" disabled={busy}>Change password</button>
      </form>
      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        <p className="muted">Logs this account out on every phone and computer, this one included.</p>
        {message('sessions')}
        <button type="button" className="button" disabled={busy} onClick={() => void act('sessions', async () => { await api.auth.logoutEverywhere(); navigate('/login'); return ''; })}>Log out everywhere</button>
      </section>
    </div>
  );
}
