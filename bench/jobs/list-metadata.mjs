// Bench job: counts every widget across all namespaces through ctx.list with metadataOnly (PartialObjectMetadata).
export default {
  resources: [
    { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['list'], namespaces: '*' },
  ],
  async run(ctx) {
    let count = 0;
    let partial = 0;
    for await (const w of ctx.list(
      { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true },
      { allNamespaces: true, metadataOnly: true },
    )) {
      count++;
      if (w.kind === 'PartialObjectMetadata' && w.spec === undefined) partial++;
    }
    return { count, partial };
  },
};
