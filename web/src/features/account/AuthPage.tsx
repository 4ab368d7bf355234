import { useState, type FormEvent } from 'react';
import { api, setSession } from '../../api/client';
import { asApiError } from '../../app/hooks';
import { Link, navigate, useLocation } from '../../app/router';

/** Log in or create an account, then go back where the buyer was (`?next=`). */
export function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const { search } = useLocation();
  const asked = search.get('next') ?? '/';
  const next = asked.startsWith('/') && !/^\/(login|register|forgot-password|reset-password)/.test(asked) ? asked : '/';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const other = mode === 'login' ? 'register' : 'login';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      setSession(mode === 'login' ? await api.auth.login({ email, password }) : await api.auth.register({ email, password, name }));
      navigate(next, { replace: true });
    } catch (error) {
      const failure = asApiError(error);
      setProblem(
        failure.code === 'invalid_credentials' ? 'That email and password do not match.'
          : failure.code === 'email_taken' ? 'There is already an account with this email. Log in instead.'
          : failure.code === 'validation_failed' ? 'Check the fields: a valid email, and a password of at least 8 characters.'
          : failure.message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel auth-form" onSubmit={submit} aria-labelledby="auth-title">
      <h1 id="auth-title">{mode === 'login' ? 'Log in' : 'Create an account'}</h1>
      {mode === 'register' && (
        <label className="field"><span>Name</span><input autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} /></label>
      )}
      <label className="field"><span>Email</span><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label className="field">
        <span>Password</span>
        <input type="password" autoComplete={mode === 'login' ? 'current-password' : 'new-password'} required minLength={mode === 'register' ? 8 : 1} value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {mode === 'login' && <p className="forgot"><Link to={`/forgot-password${email ? `?email=${encodeURIComponent(email)}` : ''}`}>Forgot password?</Link></p>}
      {problem && <p role="alert" className="notice error">{problem}</p>}
      <button type="submit" className="button primary wide" disabled={busy}>{mode === 'login' ? 'Log in' : 'Create account'}</button>
      <p className="muted">
        {mode === 'login' ? 'New here? ' : 'Have an account? '}
        <Link to={`/${other}?next=${encodeURIComponent(next)}`}>{mode === 'login' ? 'Create an account' : 'Log in'}</Link>
      </p>
    </form>
  );
}
