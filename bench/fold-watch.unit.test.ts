// Which group a published message belongs to, and when a group's applied sequence covers it.
import { describe, expect, it } from 'vitest';
import { eventSubject, streamsSchema } from '../streams.config.ts';
import { withCommandMonitoring } from './db-commands.ts';
import { Coverage, groupOfSubject } from './fold-watch.ts';
import { countlyEvents } from './publish.ts';
import { seededApps } from './tally.ts';
import { toEnvelope, Workload } from './workload.ts';

const streams = streamsSchema.parse({ prefix: 'unit', partitions: 8, partitionGroups: 4 });

describe('fold watch', () => {
  it('maps a subject to the group whose consumer filters its partition', () => {
    const groupOf = groupOfSubject(streams);
    expect(groupOf(eventSubject(streams, 'app1', 0))).toBe(0);
    expect(groupOf(eventSubject(streams, 'app1', 5))).toBe(1);
    expect(groupOf(eventSubject(streams, 'app2', 7))).toBe(3);
  });

  it('is covered once every group that got a message has applied past its last one', () => {
    const c = new Coverage(streams);
    c.published(eventSubject(streams, 'a', 0), 10);
    c.published(eventSubject(streams, 'a', 4), 12);
    c.published(eventSubject(streams, 'a', 1), 11);
    expect(
      c.coveredBy(
        new Map([
          [0, 11],
          [1, 11],
        ]),
      ),
    ).toBe(false);
    expect(
      c.coveredBy(
        new Map([
          [0, 12],
          [1, 11],
        ]),
      ),
    ).toBe(true);
  });
});

describe('counting', () => {
  it('counts Countly events plus one for a begun session', () => {
    const [app] = seededApps(2);
    if (app === undefined) throw new RangeError('no app');
    const w = new Workload({ seed: 3, apps: [app], anchorMs: Date.UTC(2025, 0, 1) });
    for (const req of w.nextBatch(200)) {
      const e = toEnvelope(req, app, { id: 'x', requestId: 'x', receivedAtMs: req.timestamp });
      expect(countlyEvents(e)).toBe((req.events?.length ?? 0) + (req.begin_session === 1 ? 1 : 0));
    }
  });

  it('switches command monitoring on through the connection string', () => {
    expect(withCommandMonitoring('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017/?monitorCommands=true');
    expect(withCommandMonitoring('mongodb://127.0.0.1:27017/')).toBe('mongodb://127.0.0.1:27017/?monitorCommands=true');
    expect(withCommandMonitoring('mongodb://h:1/db?appName=x')).toBe('mongodb://h:1/db?appName=x&monitorCommands=true');
  });
});
