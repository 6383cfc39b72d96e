/** Every attempt to run a task on a server, in the order they were made: what a trace exports. */
export class AttemptLog {
  readonly task: number[] = [];
  readonly server: number[] = [];
  /** When the server was taken. */
  readonly assigned: number[] = [];
  /** When computing started (or is planned to, under 'delays-start'). */
  readonly start: number[] = [];
  /** Completion or interruption time; NaN while running. */
  readonly end: number[] = [];
  readonly interrupted: boolean[] = [];

  get size(): number {
    return this.task.length;
  }

  /** Makes this (empty) log a copy of `other`. */
  copyFrom(other: AttemptLog): void {
    for (let i = 0; i < other.size; i++) {
      this.task.push(other.task[i] as number);
      this.server.push(other.server[i] as number);
      this.assigned.push(other.assigned[i] as number);
      this.start.push(other.start[i] as number);
      this.end.push(other.end[i] as number);
      this.interrupted.push(other.interrupted[i] as boolean);
    }
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
