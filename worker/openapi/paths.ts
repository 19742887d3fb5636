/** The interactive reference; the only page whose CSP allows inline styles (Scalar injects them). */
export const API_DOCS_PATH = '/api/docs'
/** The few lines that start Scalar, served as a file so no page needs an inline script. */
export const API_DOCS_SCRIPT = '/api/docs/init.js'
