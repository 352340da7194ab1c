/**
 * The engine holds a container's lock while some operations on it run (a stuck archive
 * upload, say), and then answers nothing about that container: a report about many objects
 * must not wait on one of them forever. Resolves undefined when `work` takes longer than `ms`.
 */
export function withinTime<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  work.catch(() => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** How long one object may take to be described before a report goes on without it. */
export const OBJECT_ANSWER_MS = 5_000;
