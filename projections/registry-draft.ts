// The event registries of one fold call. An app's registry is copied on its first change and a
// key's segment list on its first new segment, then both grow in place: registering n keys or
// segments costs O(n), where copying the registry per registration cost O(n²) (a rebuild
// registers every key and segment of an app again).
import { dictFrom, own } from './dict.ts';

/** An app's registered event keys and their segment keys, in first-seen order. */
export interface EventRegistry {
  readonly list: readonly string[];
  readonly segments: Readonly<Record<string, readonly string[]>>;
}

interface OwnedRegistry {
  readonly list: string[];
  readonly segments: Record<string, readonly string[]>;
  /** Segment lists that are this draft's own copies, by event key. */
  readonly ownedLists: Map<string, string[]>;
}

export class RegistriesDraft {
  private readonly out: Record<string, EventRegistry>;
  private readonly owned = new Map<string, OwnedRegistry>();

  constructor(base: Readonly<Record<string, EventRegistry>>) {
    this.out = { ...base };
  }

  get(appId: string): EventRegistry | undefined {
    return this.out[appId];
  }

  addKey(appId: string, key: string): void {
    this.mine(appId).list.push(key);
  }

  addSegment(appId: string, key: string, segment: string): void {
    const r = this.mine(appId);
    let list = r.ownedLists.get(key);
    if (list === undefined) {
      list = [...(own(r.segments, key) ?? [])];
      r.segments[key] = list;
      r.ownedLists.set(key, list);
    }
    list.push(segment);
  }

  dropApp(appId: string): void {
    delete this.out[appId];
    this.owned.delete(appId);
  }

  result(): Readonly<Record<string, EventRegistry>> {
    return this.out;
  }

  private mine(appId: string): OwnedRegistry {
    const known = this.owned.get(appId);
    if (known !== undefined) return known;
    const base = this.out[appId];
    const r: OwnedRegistry = { list: [...(base?.list ?? [])], segments: dictFrom(base?.segments), ownedLists: new Map() };
    this.out[appId] = { list: r.list, segments: r.segments };
    this.owned.set(appId, r);
    return r;
  }
}
