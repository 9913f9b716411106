/** A counting semaphore for async work: at most `permits` holders at once, FIFO. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  private free: number;

  constructor(permits: number) {
    this.free = permits;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((res) => this.waiting.push(res));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
