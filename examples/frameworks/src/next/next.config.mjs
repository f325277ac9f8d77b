// A Next.js app of route handlers only. Next writes no agent files into the sample.
export default { agentRules: false, experimental: { agentUpgrade: false } };
