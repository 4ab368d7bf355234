import type { ApiError } from '../api/client';
import { Link } from './router';

/** A screen that could not load: what happened and a way on. */
export function Problem({ error }: { error: ApiError }) {
  return (
    <section className="panel problem" role="alert">
      <h1>{error.status === 404 ? 'Not found' : 'Something went wrong'}</h1>
      <p>{error.status === 404 ? 'This page does not exist, or is no longer available.' : error.message}</p>
      <Link to="/" className="button">Browse events</Link>
    </section>
  );
}
