// Bench job: one get, for cold-start timing.
export default {
  resources: [{ group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true, verbs: ['get'] }],
  async run(ctx) {
    const widget = await ctx.get(
      { group: 'bench.kubepoll.io', version: 'v1', plural: 'widgets', namespaced: true },
      'widget-0000000',
    );
    return { found: widget !== undefined };
  },
};
