/**
 * A network path that loses answers: the request reaches the payment server, which acts
 * and answers, and the answer never comes back — the case a retry without its
 * idempotency key would turn into a second refund or a second payment request.
 */
export function lossyNetwork(losses: number) {
  const answers: { status: number; replayed: boolean }[] = [];
  let left = losses;
  const fetchLosing: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    answers.push({ status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true' });
    if (left > 0) {
      left -= 1;
      await response.arrayBuffer();
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    }
    return response;
  };
  return { fetch: fetchLosing, answers };
}
