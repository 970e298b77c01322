// No telemetry, no image optimiser: a plain server for benchmark 7.
module.exports = { poweredByHeader: false };
