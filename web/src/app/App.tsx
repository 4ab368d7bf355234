import { useEffect, useRef, type ReactNode } from 'react';
import { api } from '../api/client';
import { AccountPage } from '../features/account/AccountPage';
import { AuthPage } from '../features/account/AuthPage';
import { ForgotPasswordPage, ResetPasswordPage } from '../features/account/PasswordReset';
import { CheckoutPage } from '../features/checkout/CheckoutPage';
import { HeaderHold } from '../features/checkout/ResumeCheckout';
import { EventPage } from '../features/events/EventPage';
import { HomePage } from '../features/events/HomePage';
import { DashboardPage } from '../features/organizer/DashboardPage';
import { NewEventPage } from '../features/organizer/NewEventPage';
import { OrganizerPage } from '../features/organizer/OrganizerPage';
import { ScanPage } from '../features/scan/ScanPage';
import { JoinPage } from '../features/team/JoinPage';
import { OrdersPage } from '../features/team/OrdersPage';
import { useOrganizations } from '../features/team/organizations';
import { TeamPage } from '../features/team/TeamPage';
import { TicketsPage } from '../features/tickets/TicketsPage';
import { useSession } from './hooks';
import { Link, navigate, useLocation } from './router';

const uuid = '([0-9a-f-]{36})';

/** `organizer` is undefined while the caller's organizations are being loaded. */
function route(path: string, loggedIn: boolean, organizer: boolean | undefined): { title: string; page: ReactNode } {
  let m: RegExpExecArray | null;
  const needsLogin = { title: 'Log in', page: <AuthPage mode="login" /> };
  if (path === '/') return { title: 'Events', page: <HomePage /> };
  if ((m = new RegExp(`^/events/${uuid}$`).exec(path))) return { title: 'Event', page: <EventPage id={m[1]!} /> };
  if ((m = new RegExp(`^/checkout/${uuid}$`).exec(path))) return loggedIn ? { title: 'Checkout', page: <CheckoutPage holdId={m[1]!} /> } : needsLogin;
  if (path === '/tickets') return loggedIn ? { title: 'My tickets', page: <TicketsPage /> } : needsLogin;
  if (path === '/account') return loggedIn ? { title: 'Your account', page: <AccountPage /> } : needsLogin;
  if (path === '/login') return needsLogin;
  if ((m = new RegExp(`^/scan/${uuid}$`).exec(path))) return { title: 'Door scanner', page: <ScanPage eventId={m[1]!} /> };
  if (path === '/register') return { title: 'Create an account', page: <AuthPage mode="register" /> };
  if (path === '/forgot-password') return { title: 'Forgot your password', page: <ForgotPasswordPage /> };
  if (path === '/reset-password') return { title: 'Reset your password', page: <ResetPasswordPage /> };
  if (path === '/join') return { title: 'Join an organization', page: <JoinPage /> };
  if (path.startsWith('/organizer')) {
    if (organizer === undefined) return { title: 'Organizer', page: <p className="loading" aria-busy="true">Loading…</p> };
    if (!organizer) return { title: 'Organizers only', page: <OrganizersOnly loggedIn={loggedIn} /> };
    if (path === '/organizer') return { title: 'Organizer', page: <OrganizerPage /> };
    if (path === '/organizer/team') return { title: 'Team', page: <TeamPage /> };
    if ((m = new RegExp(`^/organizer/events/${uuid}/orders$`).exec(path))) return { title: 'Orders', page: <OrdersPage eventId={m[1]!} /> };
    if (path === '/organizer/new') return { title: 'New event', page: <NewEventPage /> };
    if ((m = new RegExp(`^/organizer/events/${uuid}$`).exec(path))) return { title: 'Dashboard', page: <DashboardPage id={m[1]!} /> };
  }
  return { title: 'Not found', page: <section className="panel"><h1>Page not found</h1><Link to="/">Browse events</Link></section> };
}

export function App() {
  const { path } = useLocation();
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  const { organizations, loaded } = useOrganizations();
  // Someone with a role in an organization, or the platform admin (who may do everything).
  const organizer = session?.user.role === 'admin' || organizations.length > 0;
  const { title, page } = route(path, session !== null, organizer || !session || loaded ? organizer : undefined);

  // A new screen: name it, and move focus to it so screen readers start at the content.
  useEffect(() => {
    document.title = `${title} · Onsale`;
    main.current?.focus({ preventScroll: true });
  }, [path, title]);

  return (
    <>
      <a href="#main" className="skip-link">Skip to content</a>
      <header className="site-header">
        <nav aria-label="Main" className="nav">
          <Link to="/" className="brand" aria-label="Onsale home">
            <svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" /><path d="M9 11h14v3a2 2 0 0 0 0 4v3H9v-3a2 2 0 0 0 0-4z" /></svg>
            Onsale
          </Link>
          <ul>
            <li className="nav-events"><Link to="/" aria-current={path === '/' ? 'page' : undefined}>Events</Link></li>
            {session && <li><Link to="/tickets" aria-current={path === '/tickets' ? 'page' : undefined}>My tickets</Link></li>}
            {session && <li><Link to="/account" aria-current={path === '/account' ? 'page' : undefined}>Account</Link></li>}
            {organizer && <li><Link to="/organizer" aria-current={path.startsWith('/organizer') ? 'page' : undefined}>Organizer</Link></li>}
            {session ? (
              <li><button type="button" className="link-button" onClick={() => { void api.auth.logout(); navigate('/'); }}>Log out</button></li>
            ) : (
              <>
                <li><Link to={`/login?next=${encodeURIComponent(path)}`}>Log in</Link></li>
                <li><Link className="nav-signup" to={`/register?next=${encodeURIComponent(path)}`}>Sign up</Link></li>
              </>
            )}
          </ul>
        </nav>
        {session && <HeaderHold path={path} />}
      </header>
      <main id="main" ref={main} tabIndex={-1}>{page}</main>
      <footer className="site-footer">Onsale · open-source ticketing · <a href="/docs">API</a></footer>
    </>
  );
}

function OrganizersOnly({ loggedIn }: { loggedIn: boolean }) {
  return (
    <section className="panel">
      <h1>Organizers only</h1>
      <p>{loggedIn ? 'This account is a buyer account.' : 'Log in with an organizer account to manage events.'}</p>
      {!loggedIn && <Link className="button primary" to={`/login?next=${encodeURIComponent(location.pathname)}`}>Log in</Link>}
    </section>
  );
}
