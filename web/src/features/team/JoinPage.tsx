import { useState, type FormEvent } from 'react';
import { api, setSession } from '../../api/client';
import { asApiError, useSession } from '../../app/hooks';
import { navigate } from '../../app/router';

/** An invitation link (`/join#<token>`: the token stays in the fragment, never sent to a server): join, making the account if need be. */
export function JoinPage() {
  const session = useSession();
  const token = location.hash.slice(1);
  const [form, setForm] = useState({ name: '', password: '' });
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const joined = await api.organizations.accept(session ? { token } : { token, ...form });
      if ('session' in joined) setSession(joined.session as never);
      navigate('/organizer');
    } catch (failure) {
      setError(asApiError(failure).message);
    }
  };
  if (!token) return <section className="panel"><h1>Join an organization</h1><p>Open the link from your invitation email.</p></section>;
  return (
    <section className="panel">
      <h1>Join an organization</h1>
      {error && <p role="alert" className="notice error">{error}</p>}
      <form onSubmit={(e) => void submit(e)}>
        {!session && (
          <>
            <label className="field"><span>Your name</span><input required maxLength={200} autoComplete="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
            <label className="field"><span>Password</span><input type="password" required minLength={8} autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} /></label>
          </>
        )}
        <button type="submit" className="button primary">{session ? 'Join' : 'Create the account and join'}</button>
      </form>
    </section>
  );
}
