import { useState } from 'react';
import { api, setSession } from '../../api/client';
import { useSubmit } from '../../app/hooks';
import { Link, useLocation } from '../../app/router';

/** Asks for a reset link. The answer is the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  const { search } = useLocation();
  const [email, setEmail] = useState(search.get('email') ?? '');
  const [sent, setSent] = useState(false);
  const { submit, busy, problem } = useSubmit(async () => {
    await api.auth.requestPasswordReset(email);
    setSent(true);
  });

  return (
    <form className="panel auth-form" onSubmit={submit} aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      {sent ? (
        <p role="status" className="notice success">If an account exists for that email, we sent a link to choose a new password. It works once, for an hour.</p>
      ) : (
        <>
          <p className="muted">Enter the email of your account and we will send you a link to choose a new password.</p>
          <label className="field"><span>Email</span><input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
          {problem && <p role="alert" className="notice error">{problem}</p>}
          <button type="submit" className="button primary wide" disabled={busy}>Send the link</button>
        </>
      )}
      <p className="muted">Remembered it? <Link to="/login">Back to log in</Link></p>
    </form>
  );
}

/** The emailed link (`/reset-password?token=…`): sets the new password and logs the buyer in. */
export function ResetPasswordPage() {
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const { submit, busy, problem } = useSubmit(async () => {
    setSession(await api.auth.confirmPasswordReset({ token, password }));
    setDone(true);
  });

  if (done) {
    return (
      <section className="panel auth-form" aria-labelledby="reset-title">
        <h1 id="reset-title">Reset your password</h1>
        <p role="status" className="notice success">Your new password is set and you are logged in. Other devices were logged out.</p>
        <p><Link className="button primary" to="/">Browse events</Link></p>
      </section>
    );
  }
  return (
    <form className="panel auth-form" onSubmit={submit} aria-labelledby="reset-title">
      <h1 id="reset-title">Reset your password</h1>
      {!token ? (
        <p className="notice">Open the link from your password reset email, or <Link to="/forgot-password">ask for a new link</Link>.</p>
      ) : (
        <>
          <label className="field">
            <span>New password</span>
            <input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <p className="hint">At least 8 characters.</p>
          {problem && <p role="alert" className="notice error">{problem} <Link to="/forgot-password">Ask for a new link</Link></p>}
          <button type="submit" className="button primary wide" disabled={busy}>Set the new password</button>
        </>
      )}
    </form>
  );
}
