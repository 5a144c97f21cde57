/**
 * Let queued messages (stop, pause, a sample request) run. On wasm and cpu,
 * tensor reads resolve as microtasks, so a generation or training loop would
 * otherwise never give the worker's message handler a turn until it ends.
 * A MessageChannel round trip is a real task without setTimeout's 4 ms clamp.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined')
    return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
