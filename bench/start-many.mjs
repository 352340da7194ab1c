// Starts many labelled containers a few at a time (the engine serialises much of it anyway).
// On the first failure the other workers stop taking new names, and every start under way is
// awaited before the error is thrown, so that nothing is started after the step has failed.

/** Starts containers `${prefix}-${from}` … `${prefix}-${to - 1}`; returns their names. */
export async function startMany(ctx, prefix, image, from, to, command = [], options = []) {
  let next = from;
  let failed;
  const names = [];
  const worker = async () => {
    while (next < to && failed === undefined) {
      const suffix = `${prefix}-${next++}`;
      try {
        names.push(await ctx.startContainerAsync(suffix, image, command, options));
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  if (failed !== undefined) throw failed;
  return names;
}
