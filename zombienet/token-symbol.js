// Zombienet js-script: connects to a node through @polkadot/api (zombie.connect) and returns
// 1 when the chain's properties say the token is POI with 12 decimals, 0 otherwise.
async function run(nodeName, networkInfo) {
  const { wsUri, userDefinedTypes } = networkInfo.nodesByName[nodeName];
  const api = await zombie.connect(wsUri, userDefinedTypes);
  try {
    const properties = await api.rpc.system.properties();
    const symbol = properties.tokenSymbol.unwrap().map((s) => s.toString());
    const decimals = properties.tokenDecimals.unwrap().map((d) => d.toNumber());
    console.log(`${nodeName}: tokenSymbol=${symbol} tokenDecimals=${decimals}`);
    return symbol.length === 1 && symbol[0] === 'POI' && decimals[0] === 12 ? 1 : 0;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
