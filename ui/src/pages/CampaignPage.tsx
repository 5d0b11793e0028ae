import { useApi } from '../session.tsx';
import { useActions, useLoad } from '../hooks.ts';
import { CAMPAIGN_ACTIONS, progressOf, type Campaign, type Counts } from '../campaigns.ts';
import { Badge, ErrorBox, LoadProblem, Loading, PageHeader, Stat, Updated } from '../components/ui.tsx';
import { COLORS, Donut, TimeBars } from '../components/charts.tsx';
import { fmtDateTime, fmtMs, fmtNum, fmtPct } from '../format.ts';
import { Link } from '../router.tsx';
import type { Message } from '../types.ts';
import { ProgressBar } from './Campaigns.tsx';

export interface CampaignStats {
  campaign: Campaign;
  counts: Counts;
  total: number;
  deliveryRate: number;
  timing: {
    firstSentAt: string | null;
    lastSentAt: string | null;
    delivered: number;
    p50TimeToDeliveryMs: number | null;
    p95TimeToDeliveryMs: number | null;
  };
  messages: { items: Message[]; nextCursor: string | null };
}

const STATE_COLORS: Record<string, string> = {
  queued: '#8aa6e8',
  sending: '#7b5cd6',
  sent: COLORS.sent!,
  delivered: COLORS.delivered!,
  failed: COLORS.failed!,
  bounced: '#a83232',
  expired: '#d98a00',
  suppressed: '#6b7a90',
  cancelled: '#9aa3af',
};

export function CampaignPage(props: { id: string }) {
  const api = useApi();
  const stats = useLoad(
    () => api.get<CampaignStats>(`/v1/campaigns/${props.id}/stats`, { limit: 10 }),
    [props.id],
    3000,
  );
  const actions = useActions(stats.reload);
  const busy = actions.busy;
  const s = stats.data;
  const c = s?.campaign;
  // The page shows no notice: the new state and counts are the answer.
  const act = (what: 'pause' | 'resume' | 'cancel') =>
    actions.run(
      () => api.post(`/v1/campaigns/${props.id}/${what}`),
      '',
      what === 'cancel' ? 'Cancel this campaign? Messages not yet sent will not be sent.' : undefined,
    );
  const p = progressOf(s?.counts ?? {});
  const states = Object.entries(s?.counts ?? {}).filter(([, n]) => n > 0);

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/campaigns">Campaigns</Link> <span aria-hidden="true">/</span>{' '}
        <span className="mono">{props.id}</span>
      </nav>
      <PageHeader
        title={c ? c.name || 'Campaign' : 'Campaign'}
        subtitle={c && <Badge value={c.state} />}
        actions={
          c && (
            <>
              <Updated at={stats.updatedAt} />
              {['scheduled', 'running', 'paused'].includes(c.state) && (
                <Link className="btn" to={`/campaigns/${c.id}/edit`}>
                  Edit
                </Link>
              )}
              {(CAMPAIGN_ACTIONS[c.state] ?? []).map((a) => (
                <button
                  key={a}
                  type="button"
                  className={`btn ${a === 'cancel' ? 'btn-danger' : a === 'resume' ? 'btn-primary' : ''}`}
                  disabled={busy}
                  onClick={() => void act(a)}
                >
                  {a[0]!.toUpperCase() + a.slice(1)}
                </button>
              ))}
            </>
          )
        }
      />
      <LoadProblem
        error={stats.error}
        what="The campaigns API"
        route={`GET /v1/campaigns/${props.id}/stats`}
        onRetry={stats.reload}
      />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      {!s && stats.loading && <Loading />}
      {s && c && (
        <>
          <section className="stats-grid" aria-label="Campaign totals">
            <Stat
              label="Messages"
              value={fmtNum(s.total)}
              hint={`${fmtNum(c.fanout.contacts)} contacts fanned out${c.fanout.done ? ' (all)' : ''}`}
            />
            <Stat label="Delivered" value={fmtNum(p.delivered)} hint={fmtPct(p.delivered, p.total)} tone="delivered" />
            <Stat label="Sent" value={fmtNum(p.sent)} hint="awaiting receipt" tone="accepted" />
            <Stat label="Failed" value={fmtNum(p.failed)} hint={fmtPct(p.failed, p.total)} tone="failed" />
            <Stat label="Pending" value={fmtNum(p.pending)} hint="queued or sending" tone="retried" />
            <Stat
              label="Delivery p50"
              value={fmtMs(s.timing.p50TimeToDeliveryMs)}
              hint={`p95 ${fmtMs(s.timing.p95TimeToDeliveryMs)} · fan-out to delivery`}
            />
          </section>
          <section className="card" aria-labelledby="cp-progress">
            <h2 id="cp-progress">Progress</h2>
            <ProgressBar counts={s.counts} />
          </section>
          <div className="grid-2">
            <section className="card" aria-labelledby="cp-states">
              <h2 id="cp-states">Messages by state</h2>
              <Donut
                id="chart-campaign-states"
                title="Campaign messages by state"
                empty="No messages yet: the campaign has not started"
                parts={states.map(([k, n]) => ({ label: k, value: n, color: STATE_COLORS[k] ?? '#888' }))}
              />
            </section>
            <section className="card" aria-labelledby="cp-bars">
              <h2 id="cp-bars">Outcome</h2>
              <TimeBars
                id="chart-campaign-outcome"
                title="Campaign outcome"
                labels={['messages']}
                series={[
                  { label: 'delivered', data: [p.delivered], color: COLORS.delivered },
                  { label: 'sent', data: [p.sent], color: COLORS.sent },
                  { label: 'failed', data: [p.failed], color: COLORS.failed },
                  { label: 'pending', data: [p.pending], color: COLORS.pending },
                ]}
                height={220}
              />
            </section>
          </div>
          <section className="card" aria-labelledby="cp-msgs">
            <div className="card-head">
              <h2 id="cp-msgs">Latest messages</h2>
              <Link to={`/messages?campaignId=${c.id}`}>All of this campaign's messages</Link>
            </div>
            {s.messages.items.length === 0 ? (
              <p className="muted">
                No messages yet{c.state === 'scheduled' ? `: the campaign starts ${fmtDateTime(c.startAt)}.` : '.'}
              </p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Recipient</th>
                      <th scope="col">Text</th>
                      <th scope="col">State</th>
                      <th scope="col">Due</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.messages.items.map((m) => (
                      <tr key={m.id}>
                        <td className="mono">
                          <Link to={`/messages/${m.id}`}>{m.to}</Link>
                        </td>
                        <td className="ellipsis">{m.subject ?? m.text}</td>
                        <td>
                          <Badge value={m.state} title={m.reason ?? undefined} />
                        </td>
                        <td>{fmtDateTime(m.dueAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section className="card" aria-labelledby="cp-def">
            <h2 id="cp-def">Definition</h2>
            <dl className="kv">
              <div>
                <dt>Channel</dt>
                <dd>
                  {c.channel}
                  {c.provider ? ` via ${c.provider}` : ''}
                </dd>
              </div>
              <div>
                <dt>Contacts</dt>
                <dd>
                  {c.filter.operatorCodes.length ? `operator ${c.filter.operatorCodes.join(', ')}` : 'any operator'} ·{' '}
                  {c.filter.tags.length ? `tag ${c.filter.tags.join(', ')}` : 'any tag'}
                </dd>
              </div>
              <div>
                <dt>Runs</dt>
                <dd>
                  {fmtDateTime(c.startAt)} to {fmtDateTime(c.endAt)}
                </dd>
              </div>
              <div>
                <dt>Window</dt>
                <dd>{c.window ? `${c.window.from}–${c.window.to} in each contact's time zone` : 'any time'}</dd>
              </div>
              {c.subject && (
                <div>
                  <dt>Subject</dt>
                  <dd>{c.subject}</dd>
                </div>
              )}
              <div>
                <dt>Messages</dt>
                <dd>
                  <Link to={`/messages?campaignId=${c.id}`}>Open this campaign's messages</Link>
                </dd>
              </div>
            </dl>
            <pre className="text-block">{c.text}</pre>
          </section>
        </>
      )}
    </>
  );
}
