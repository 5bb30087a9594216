// Bench job: counts every widget across all namespaces through ctx.list (pages of 500).
export default {
  resources: [
    { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['list'], namespaces: '*' },
  ],
  async run(ctx) {
    let count = 0;
    for await (const _ of ctx.list(
      { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true },
      { allNamespaces: true },
    ))
      count++;
    return { count };
  },
};
