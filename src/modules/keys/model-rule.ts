/**
 * The model rule, the one home of it: whether a key's model lists let it serve
 * a model, case-insensitively. `models` null or holding "*" allows every
 * model, [] none; a blacklisted model, or a blacklisted "*", is refused. The
 * pool's pick and the gateway's model list both ask it.
 */
export function modelAllowed(models: readonly string[] | null | undefined, blacklisted: readonly string[] | null | undefined, model: string): boolean {
  const wanted = model.toLowerCase();
  const black = blacklisted ?? [];
  if (black.some((m) => m === '*' || m.toLowerCase() === wanted)) return false;
  return models === null || models === undefined || models.some((m) => m === '*' || m.toLowerCase() === wanted);
}
