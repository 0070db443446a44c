/** Requests, failures, cost and latency per day for the last 30 days, from the usage ledger, as charts and a table. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, gql, type Session } from '../api';
import { DashboardUsageDocument } from '../generated/graphql';
import { usd } from '../format';

interface Day { day: string; requests: number; failures: number; cost: number; latencyMs: number | null; firstTokenMs: number | null }

const ms = (value: number | null) => (value === null ? '—' : `${value} ms`);

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function Chart({ title, days, series }: { title: string; days: Day[]; series: { label: string; color: string; value: (d: Day) => number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const width = Math.max(260, (box.current.clientWidth || 600) - 16);
    const data: uPlot.AlignedData = [days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000), ...series.map((s) => days.map(s.value))];
    const plot = new uPlot({
      title, width, height: 220,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: `${s.color}22` }))],
      axes: [{}, { size: 60 }],
    }, data, box.current);
    return () => plot.destroy();
  }, [days]);
  return <div ref={box} class="chart" role="img" aria-label={`${title}: chart of the last 30 days (the table below has the figures)`} />;
}

export function Usage({ session }: { session: Session }) {
  const [days, setDays] = useState<Day[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const to = new Date();
    const from = new Date(to.getTime() - 29 * 86_400_000);
    gql(session, DashboardUsageDocument, { from: isoDay(from), to: isoDay(to) })
      .then(({ usage }) => {
        const byDay = new Map(usage.rows.map((r) => [r.day!, r]));
        const all: Day[] = [];
        for (let t = from.getTime(); t <= to.getTime() + 1; t += 86_400_000) {
          const day = isoDay(new Date(t));
          const r = byDay.get(day);
          all.push({
            day, requests: r?.requests ?? 0, failures: r?.failures ?? 0, cost: Number(r?.costUsd ?? 0),
            latencyMs: r?.latencyMsAvg ?? null, firstTokenMs: r?.timeToFirstTokenMsAvg ?? null,
          });
        }
        setDays(all);
      })
      .catch((e) => setError(e instanceof ApiError ? `Usage is not available: ${e.message}` : String(e)));
  }, [session.token]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!days) return <p aria-busy="true">Loading usage…</p>;
  return (
    <>
      <Chart title="Requests and failures per day" days={days} series={[{ label: 'requests', color: '#2563eb', value: (d) => d.requests }, { label: 'failures', color: '#dc2626', value: (d) => d.failures }]} />
      <Chart title="Cost per day (USD)" days={days} series={[{ label: 'cost', color: '#059669', value: (d) => d.cost }]} />
      <div class="table-scroll">
        <table class="usage">
          <caption>Last 30 days (UTC)</caption>
          <thead>
            <tr>
              <th scope="col">Day</th><th scope="col">Requests</th><th scope="col">Failures</th><th scope="col">Cost</th>
              <th scope="col">Latency (avg)</th><th scope="col">First token (avg, streamed)</th>
            </tr>
          </thead>
          <tbody>
            {[...days].reverse().map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th><td class="num">{d.requests}</td><td class="num">{d.failures}</td><td class="num">{usd(String(d.cost))}</td>
                <td class="num">{ms(d.latencyMs)}</td><td class="num">{ms(d.firstTokenMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
