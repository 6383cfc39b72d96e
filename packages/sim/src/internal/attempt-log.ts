/** Every attempt to run a task on a server, in the order they were made: what a trace exports. */
export class AttemptLog {
  readonly task: number[];
  readonly server: number[];
  /** When the server was taken. */
  readonly assigned: number[];
  /** When computing started (or is planned to, under 'delays-start'). */
  readonly start: number[];
  /** Completion or interruption time; NaN while running. */
  readonly end: number[];
  readonly interrupted: boolean[];

  /** An empty log, or a copy of `from` (`Simulation.fork()`). */
  constructor(from?: AttemptLog) {
    this.task = from === undefined ? [] : from.task.slice();
    this.server = from === undefined ? [] : from.server.slice();
    this.assigned = from === undefined ? [] : from.assigned.slice();
    this.start = from === undefined ? [] : from.start.slice();
    this.end = from === undefined ? [] : from.end.slice();
    this.interrupted = from === undefined ? [] : from.interrupted.slice();
  }

  get size(): number {
    return this.task.length;
  }

  /** Records a new attempt and returns its index. */
  open(task: number, server: number, assigned: number, start: number): number {
    const attempt = this.task.length;
    this.task.push(task);
    this.server.push(server);
    this.assigned.push(assigned);
    this.start.push(start);
    this.end.push(Number.NaN);
    this.interrupted.push(false);
    return attempt;
  }

  complete(attempt: number, time: number): void {
    this.end[attempt] = time;
  }

  interrupt(attempt: number, time: number): void {
    this.end[attempt] = time;
    this.interrupted[attempt] = true;
  }
}
