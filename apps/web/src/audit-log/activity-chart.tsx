import { Group, Paper, Skeleton, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useState } from 'react';
import { api } from '../lib/api';

export interface ActivityAnswer {
  interval: 'hour' | 'day';
  time_zone: string;
  buckets: { start: string; count: number }[];
  window: { from: string; to: string; clamped: boolean };
}

const HEIGHT = 72;

/** The viewer's IANA zone, so a day bucket is their day. */
export const viewerTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function label(start: string, interval: 'hour' | 'day'): string {
  const d = new Date(start);
  return interval === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
}

/**
 * Events per hour or day for the filters of the table below it. A bar is a
 * button: choosing it narrows the table to that hour or day.
 */
export function ActivityChart({ filters, onPick }: { filters: string; onPick: (from: Date, to: Date) => void }) {
  const tz = viewerTimeZone();
  // One bar is in the tab order; the arrow keys move between bars.
  const [active, setActive] = useState(-1);
  const activity = useQuery({
    queryKey: ['activity', filters, tz],
    queryFn: () => api<ActivityAnswer>('GET', `/v1/events/activity?${filters}${filters ? '&' : ''}tz=${encodeURIComponent(tz)}`),
  });
  if (activity.isLoading) return <Skeleton height={HEIGHT + 28} radius="sm" aria-label="Loading the activity chart" />;
  // The table below says what went wrong; the chart simply stays away.
  if (!activity.data) return null;
  const { buckets, interval } = activity.data;
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const busiest = buckets.reduce<(typeof buckets)[number] | null>((m, b) => (!m || b.count > m.count ? b : m), null);
  const step = interval === 'hour' ? 3_600_000 : 86_400_000;
  const current = active >= 0 && active < buckets.length ? active : buckets.length - 1;
  const move = (e: KeyboardEvent<HTMLDivElement>) => {
    const delta = { ArrowLeft: -1, ArrowRight: 1, Home: -current, End: buckets.length - 1 - current }[e.key];
    if (delta === undefined) return;
    e.preventDefault();
    const next = Math.min(buckets.length - 1, Math.max(0, current + delta));
    setActive(next);
    (e.currentTarget.children[next] as HTMLElement | undefined)?.focus();
  };
  const summary =
    `${total.toLocaleString()} events in ${buckets.length} ${interval}s` +
    (busiest && busiest.count > 0 ? `; the busiest ${interval} was ${label(busiest.start, interval)} with ${busiest.count.toLocaleString()}` : '');
  return (
    <Paper withBorder p="xs" radius="sm" aria-label="Activity">
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={500}>
          Activity per {interval}
        </Text>
        <Text size="xs" c="dimmed" data-testid="activity-summary">
          {summary}
        </Text>
      </Group>
      <div role="group" aria-label={`Events per ${interval}: ${summary}`} onKeyDown={move} style={{ display: 'flex', alignItems: 'flex-end', gap: 1, height: HEIGHT }}>
        {buckets.map((b, i) => {
          const start = new Date(b.start);
          const text = `${label(b.start, interval)}: ${b.count.toLocaleString()} event${b.count === 1 ? '' : 's'}`;
          return (
            <button
              key={b.start}
              type="button"
              className="activity-bar"
              tabIndex={i === current ? 0 : -1}
              onFocus={() => setActive(i)}
              title={text}
              aria-label={`${text}; show only this ${interval}`}
              data-count={b.count}
              onClick={() => onPick(start, new Date(start.getTime() + step - 1))}
              style={{ flex: 1, height: HEIGHT, padding: 0, border: 0, background: 'transparent', cursor: 'pointer', display: 'flex', alignItems: 'flex-end' }}
            >
              <span
                style={{
                  display: 'block',
                  width: '100%',
                  height: b.count ? Math.max(2, Math.round((b.count / max) * HEIGHT)) : 1,
                  background: b.count ? 'var(--mantine-color-blue-6)' : 'var(--mantine-color-gray-3)',
                  borderRadius: 1,
                }}
              />
            </button>
          );
        })}
      </div>
      {buckets.length > 0 && (
        <Group justify="space-between" mt={2}>
          <Text size="xs" c="dimmed">
            {label(buckets[0].start, interval)}
          </Text>
          <Text size="xs" c="dimmed">
            {label(buckets[buckets.length - 1].start, interval)}
          </Text>
        </Group>
      )}
    </Paper>
  );
}
