// Backstage UI's CSS modules inject stylesheets jsdom cannot parse; the tests need only the class names.
module.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? false : String(key)) });
