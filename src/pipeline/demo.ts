export async function runDemo(_o: { out: string; seed: number }): Promise<void> {
  throw new Error("demo: not built yet");
}
