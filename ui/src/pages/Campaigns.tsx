import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { progressOf, type Campaign, type Counts } from '../campaigns.ts';
import { Badge, Empty, LoadProblem, Loading, PageHeader, Progress, Updated } from '../components/ui.tsx';
import { fmtDateTime, fmtNum, fmtPct } from '../format.ts';
import { Link } from '../router.tsx';

export interface CampaignListItem extends Campaign {
  counts?: Counts;
  total?: number;
}

export function ProgressBar(props: { counts: Counts }) {
  const p = progressOf(props.counts);
  return (
    <div>
      <Progress
        total={p.total}
        parts={[
          { value: p.delivered, tone: 'ok', label: 'delivered' },
          { value: p.sent, tone: 'progress', label: 'sent' },
          { value: p.failed, tone: 'bad', label: 'failed' },
          { value: p.pending, tone: 'info', label: 'pending' },
        ]}
      />
      <div className="muted small" data-testid="progress-text">
        {fmtNum(p.delivered)} delivered · {fmtNum(p.sent)} sent · {fmtNum(p.failed)} failed · {fmtNum(p.pending)}{' '}
        pending of {fmtNum(p.total)}
      </div>
    </div>
  );
}

export function Campaigns() {
  const api = useApi();
  // The campaigns, and their message counts by state (one grouped query on the campaign index).
  const list = useLoad(
    async () => {
      const [page, stats] = await Promise.all([
        api.get<{ items: Campaign[] }>('/v1/campaigns', { limit: 100 }),
        api.get<{ items: { id: string; total: number; counts: Counts }[] }>('/v1/campaigns/stats'),
      ]);
      const byId = new Map(stats.items.map((s) => [s.id, s]));
      return page.items.map((c): CampaignListItem => ({
        ...c,
        counts: byId.get(c.id)?.counts,
        total: byId.get(c.id)?.total,
      }));
    },
    [],
    5000,
  );
  const items = list.data ?? [];
  return (
    <>
      <PageHeader
        title="Campaigns"
        subtitle="Messages to filtered sets of contacts, in their local time"
        actions={
          <>
            <Updated at={list.updatedAt} />
            <Link className="btn btn-primary" to="/campaigns/new">
              New campaign
            </Link>
          </>
        }
      />
      <LoadProblem error={list.error} what="The campaigns API" route="GET /v1/campaigns" onRetry={list.reload} />
      <section className="card" aria-label="Campaigns">
        {!list.data && list.loading ? (
          <Loading />
        ) : list.data && items.length === 0 ? (
          <Empty title="No campaigns yet.">
            <Link to="/campaigns/new">Create the first one</Link>: pick contacts by operator code or tag, write the
            text, and choose when it runs.
          </Empty>
        ) : list.data ? (
          <div className="table-wrap">
            <table data-testid="campaigns">
              <thead>
                <tr>
                  <th scope="col">Campaign</th>
                  <th scope="col">State</th>
                  <th scope="col">Runs</th>
                  <th scope="col" style={{ minWidth: '16rem' }}>
                    Progress
                  </th>
                  <th scope="col" className="num">
                    Delivered
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => {
                  const counts = c.counts ?? {};
                  const p = progressOf(counts);
                  return (
                    <tr key={c.id}>
                      <th scope="row">
                        <Link to={`/campaigns/${c.id}`}>{c.name || c.text.slice(0, 40)}</Link>
                        <div className="muted small">
                          {c.channel}
                          {c.filter.operatorCodes.length > 0 ? ` · operators ${c.filter.operatorCodes.join(', ')}` : ''}
                          {c.filter.tags.length > 0 ? ` · tags ${c.filter.tags.join(', ')}` : ''}
                        </div>
                      </th>
                      <td>
                        <Badge value={c.state} />
                      </td>
                      <td className="small">
                        {fmtDateTime(c.startAt)}
                        <br />
                        <span className="muted">to {fmtDateTime(c.endAt)}</span>
                        {c.window && (
                          <div className="muted">
                            {c.window.from}–{c.window.to} local
                          </div>
                        )}
                      </td>
                      <td>
                        <ProgressBar counts={counts} />
                      </td>
                      <td className="num">{fmtPct(p.delivered, p.total)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
