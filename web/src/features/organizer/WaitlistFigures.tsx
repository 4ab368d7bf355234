import type { Output } from '../../api/client';

type Summary = Output<'GET /events/:id/waitlist/summary'>;

/** The waitlist per section: who waits (and for how many tickets), and what became of the offers. */
export function WaitlistFigures({ summary, sectionName }: { summary: Summary | undefined; sectionName: (id: string) => string }) {
  return (
    <section className="panel" aria-labelledby="waitlist-title">
      <h2 id="waitlist-title">Waitlist</h2>
      {!summary || summary.sections.length === 0 ? (
        <p className="muted">Nobody has joined the waitlist. Buyers can join once a section sells out.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Waitlist figures">
          <table className="stats-table">
            <thead><tr><th scope="col">Section</th><th scope="col">Waiting</th><th scope="col">Tickets asked</th><th scope="col">Offers open</th><th scope="col">Converted</th><th scope="col">Lapsed</th><th scope="col">Declined</th></tr></thead>
            <tbody>
              {summary.sections.map((s) => {
                const name = s.sectionId === null ? 'Any section' : sectionName(s.sectionId);
                return (
                  <tr key={s.sectionId ?? 'any'} data-testid={`waitlist-${name}`}>
                    <th scope="row">{name}</th>
                    <td>{s.waiting}</td>
                    <td>{s.waitingTickets}</td>
                    <td>{s.offersOpen}</td>
                    <td>{s.converted}</td>
                    <td>{s.lapsed}</td>
                    <td>{s.declined}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
