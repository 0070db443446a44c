/**
 * For tests on the system clock that read a count of the current UTC minute: when the minute ends
 * within `marginMs`, wait for the next one to begin, so the count read is of the minute the test
 * counted in (a read just past the turn sees the new minute's count, 0).
 */
export async function clearOfMinuteTurn(marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
